"""The written paraphrases (app/consult/data/paraphrases): every one names a knowledge-base entry, every
entry has some, and the held-out fifth is never trained on (neither the model nor BM25 sees it)."""

from __future__ import annotations

from app.consult.kb import load_kb
from app.consult.paraphrase import HOLDOUT, held_out, variants, written, written_for
from tests.conftest import ROOT


def test_every_entry_has_written_paraphrases_and_every_key_is_an_entry() -> None:
    entries = load_kb(ROOT / "content" / "kb").entries
    ids = {e.id for e in entries}
    by_id = written()
    assert set(by_id) <= ids, sorted(set(by_id) - ids)[:5]
    assert len(by_id) >= 0.95 * len(ids)
    assert sum(len(v) for v in by_id.values()) >= 2000


def test_the_held_out_part_is_about_one_in_holdout_and_never_trained_on() -> None:
    texts = [t for v in written().values() for t in v]
    share = sum(held_out(t) for t in texts) / len(texts)
    assert abs(share - 1 / HOLDOUT) < 0.05
    entries = {e.id: e for e in load_kb(ROOT / "content" / "kb").entries}
    for entry_id in ("labor-unpaid-wages", "marriage_family-custody", "traffic-hit-and-run"):
        trained = set(variants(entries[entry_id], per_source=1))
        for t in written()[entry_id]:
            assert (t in trained) != held_out(t), t  # the trained part is in, the held-out part is not
            assert (t in written_for(entry_id)) != held_out(t)
