"""Quality figures of the consultation engine: safety gate, intents, generalisation, citations.

    python -m tests.consult.evaluate            # in-sample (KB asks) and dev sets, with misses
    python -m tests.consult.evaluate --frozen   # the frozen sets: aggregate figures only

The frozen sets (tests/consult/frozen/, written by another engineer before tuning) are read only
here and only aggregated: no item and no miss of a frozen set is ever printed. "Top answer right"
is defined in docs/consult-quality.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests" / "consult" / "dev"
FROZEN = ROOT / "tests" / "consult" / "frozen"
OWN = ROOT / "tests" / "consult" / "questions"
KB = ROOT / "content" / "kb"
ARTICLE_RE = re.compile(r"《?([^《》第]{2,60}?)》?\s*(第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)")


@dataclass
class Figures:
    name: str
    n: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)

    def add(self, key: str, ok: bool, *, total: bool = True) -> None:
        if total:
            self.totals[key] += 1
            self.counts[key] += bool(ok)

    def rate(self, key: str) -> float:
        return self.counts[key] / self.totals[key] if self.totals[key] else float("nan")

    def line(self) -> str:
        parts = [f"{k} {self.rate(k):.1%} ({self.counts[k]}/{self.totals[k]})" for k in self.totals]
        return f"{self.name}: n={self.n}; " + "; ".join(parts)


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _text(item: dict[str, Any]) -> str:
    for key in ("text", "question", "q", "message"):
        if isinstance(item.get(key), str):
            return item[key]
    raise KeyError("no text field")


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("q", "item", "items", "case", "cases", "question", "questions", "message", "messages"):
        if isinstance(data.get(key), list):
            return [x for x in data[key] if isinstance(x, dict)]
    return []


def citations_of(value: Any) -> list[tuple[str, str]]:
    """(law short name, 第X条) pairs from "民法典第一千零七十九条", {law, article} tables or lists of them."""
    from app.consult.kb import short_law_name

    out: list[tuple[str, str]] = []
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, dict) and "law" in v:
            out.append((short_law_name(str(v["law"])), str(v.get("article", ""))))
        elif isinstance(v, str):
            m = ARTICLE_RE.search(v)
            if m:
                out.append((short_law_name(m.group(1)), m.group(2)))
            else:
                out.append((short_law_name(v), ""))
    return out


async def _ask(text: str) -> Any:
    from app.consult import service

    return await service.ask(text, record=False)


# ---- the four evaluations ----

async def safety(danger: list[str], safe: list[str], *, name: str, show: bool) -> Figures:
    f = Figures(name, n=len(danger) + len(safe))
    for t in danger:
        a = await _ask(t)
        ok = a.urgent and a.reply.startswith("【紧急提示】") and not a.answers and "可参考" not in a.reply
        f.add("recall", ok)
        if not ok and show:
            f.misses.append(f"  missed danger: {t}")
    for t in safe:
        a = await _ask(t)
        f.add("false_alarm", a.urgent)
        if a.urgent and show:
            f.misses.append(f"  false alarm: {t}")
    return f


# The frozen set's intent names → the engine's.
INTENT_NAMES = {"human": "handoff"}


async def intents(items: list[tuple[str, str]], *, name: str, show: bool) -> Figures:
    """(text, expected intent) where intent is greeting/thanks/ack/handoff/advisor/abuse/non_legal/progress."""
    f = Figures(name, n=len(items))
    for text, want in items:
        a = await _ask(text)
        got = a.intent or ("handoff" if a.handoff else None)
        want = INTENT_NAMES.get(want, want)
        if want == "legal":  # an ordinary legal question must go on to retrieval
            ok = got is None and not a.urgent
        else:
            ok = got == want and not a.answers and "法律依据" not in a.reply
        f.add(f"intent:{want}", ok)
        f.add("intent", ok)
        if not ok and show:
            f.misses.append(f"  {text}: want {want}, got {got}")
    return f


def right_answer(a: Any, *, category: str, answers: list[str], articles: list[tuple[str, str]]) -> bool:
    """The top answer is right: the category matches and the top entry is one the question's labels
    accept (an accepted entry id) or cites one of the question's decisive articles."""
    if a.category != category or not a.answers or a.clarify or a.urgent:
        return False
    top = a.answers[0].id
    if answers:
        return top in answers
    if articles and a.entries:
        cited = {(s.law, s.article) for s in a.entries[0].statutes}
        return any((law, art) in cited for law, art in articles if art)
    return False


async def general(items: list[dict[str, Any]], *, name: str, show: bool) -> Figures:
    f = Figures(name, n=len(items))
    for it in items:
        text = _text(it)
        category = str(it.get("category", ""))
        answers = [str(x) for x in it.get("answers", it.get("entries", []))]
        articles = citations_of(it.get("articles", it.get("decisive", it.get("statutes", []))))
        a = await _ask(text)
        f.add("category", a.category == category)
        ok = right_answer(a, category=category, answers=answers, articles=articles)
        if answers or articles:
            f.add("top_answer_right", ok)
            if answers:
                f.add("top3", any(r.id in answers for r in a.answers[:3]))
            else:  # any of the three answers' entries cites a decisive article
                cited = {(s.law, s.article) for e in a.entries[:3] for s in e.statutes}
                f.add("top3_cites_decisive", a.category == category and any(x in cited for x in articles))
                f.add("reply_cites_decisive", any((s.law, s.article) in articles for s in a.statutes))
        f.add("asked_back", bool(a.clarify))
        f.add("urgent", a.urgent)
        if show and (a.category != category or not ok):
            f.misses.append(f"  {text}\n    want {category} {answers} → {a.category} "
                            f"{[r.id for r in a.answers[:3]]}{' clarify' if a.clarify else ''}")
    return f


async def citations(items: list[dict[str, Any]], *, name: str, show: bool) -> Figures:
    from app.consult.kb import REPEALED, short_law_name

    f = Figures(name, n=len(items))
    for it in items:
        text = _text(it)
        if "law" in it:  # the frozen format: the lawyer's first law and article
            want = [(short_law_name(str(it["law"])), str(it.get("article", "")))]
        else:
            want = citations_of(it.get("articles", []))
        laws = {law for law, _ in want}
        a = await _ask(text)
        got = [(s.law, s.article) for s in a.statutes]  # the articles the reply names
        f.add("lawyer_article", any(g in want for g in got if g[1]))
        f.add("lawyer_law", any(g[0] in laws for g in got))
        f.add("repealed_cited", any(g[0] in REPEALED for g in got) or any(r in a.reply for r in
                                                                         (f"《{x}》" for x in REPEALED)))
        f.add("articles_per_reply_le_3", len(a.statutes) <= 3)
        if show and not any(g in want for g in got):
            f.misses.append(f"  {text}: want {want} got {got}")
    return f


# ---- the sets ----

def in_sample_items() -> list[dict[str, Any]]:
    """The knowledge base's own asks, labelled with their entry (the model was trained on them)."""
    from app.consult.kb import load_kb

    out = []
    for e in load_kb(KB).entries:
        for t in e.asks:
            out.append({"text": t, "category": e.category, "answers": [e.id]})
    return out


def held_out_paraphrases(*, held: bool = True) -> list[dict[str, Any]]:
    """The written paraphrases (app/consult/data/paraphrases) of the held-out part (never trained on),
    or with ``held=False`` the trained part, labelled with their entry."""
    from app.consult.kb import load_kb
    from app.consult.paraphrase import held_out, written

    by_id = {e.id: e for e in load_kb(KB).entries}
    return [{"text": t, "category": by_id[i].category, "answers": [i]}
            for i, texts in written().items() if i in by_id for t in texts if held_out(t) == held]


def own_questions() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in sorted(OWN.glob("*.toml")):
        out += _items(_toml(p))
    return out


def dev_citations() -> list[dict[str, Any]]:
    """Dev citation items: each dev question labelled with the decisive article of its first entry."""
    from app.consult.kb import load_kb

    by_id = {e.id: e for e in load_kb(KB).entries}
    out = []
    for it in _items(_toml(DEV / "general.toml")):
        e = by_id.get(it["answers"][0])
        if e and e.statutes:
            out.append({"text": it["text"], "articles": [f"{e.statutes[0].law}{e.statutes[0].article}"]})
    return out


def frozen_sets() -> dict[str, Any]:
    """The frozen sets' items, in the formats of tests/consult/frozen/README.md (never printed)."""
    out: dict[str, Any] = {}
    if (FROZEN / "safety.toml").exists():
        items = _toml(FROZEN / "safety.toml").get("m", [])
        out["safety"] = ([m["text"] for m in items if m.get("danger") is True],
                         [m["text"] for m in items if m.get("danger") is False])
    if (FROZEN / "intents.toml").exists():
        out["intents"] = [(m["text"], str(m["intent"])) for m in _toml(FROZEN / "intents.toml").get("m", [])]
    if (FROZEN / "general.toml").exists():
        out["general"] = _toml(FROZEN / "general.toml").get("q", [])
    if (FROZEN / "citations.toml").exists():
        out["citations"] = _toml(FROZEN / "citations.toml").get("c", [])
    return out


def dev_intents() -> list[tuple[str, str]]:
    data = _toml(DEV / "intents.toml")
    return [(t, name) for name, texts in data.items() for t in texts]


async def run(*, frozen: bool) -> list[Figures]:
    from app.config import set_settings
    from app.consult import engine
    from tests.conftest import make_settings

    set_settings(make_settings())
    from app import wiring

    wiring.wire_events()  # "查进度" asks the front desk (no database here: it answers the generic reply)
    engine.use_folder(KB)
    await asyncio.to_thread(engine.load)
    out: list[Figures] = []
    if frozen:
        sets = frozen_sets()
        if "safety" in sets:
            out.append(await safety(*sets["safety"], name="frozen safety", show=False))
        if "intents" in sets:
            out.append(await intents(sets["intents"], name="frozen intents", show=False))
        if "general" in sets:
            out.append(await general(sets["general"], name="frozen general", show=False))
        if "citations" in sets:
            out.append(await citations(sets["citations"], name="frozen citations", show=False))
        if not sets:
            print(f"no frozen sets in {FROZEN}")
        return out
    # s4, s5: written before their session's changes; s5b: a probe written after session 5's first changes
    for name in ("safety", "safety_fresh", "safety_s4", "safety_s5", "safety_s5b", "safety_s6", "safety_s6b"):
        dev = _toml(DEV / f"{name}.toml")
        out.append(await safety(dev["danger"], dev["safe"], name=f"dev {name}", show=True))
    out.append(await intents(dev_intents(), name="dev intents", show=True))
    out.append(await general(in_sample_items(), name="in-sample (KB asks)", show=False))
    out.append(await general(own_questions(), name="own labelled questions (tests/consult/questions)", show=False))
    out.append(await general(held_out_paraphrases(), name="written paraphrases, held out", show=True))
    out.append(await general(_items(_toml(DEV / "general.toml")), name="dev general", show=True))
    out.append(await general(_items(_toml(DEV / "general_s4.toml")), name="dev general_s4 (decisive articles)",
                             show=True))
    out.append(await general(_items(_toml(DEV / "general_s5.toml")), name="dev general_s5 (decisive articles)",
                             show=True))
    out.append(await citations(dev_citations(), name="dev citations (entry's first article)", show=False))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frozen", action="store_true", help="the frozen sets, aggregate figures only")
    ap.add_argument("--misses", action="store_true", help="print the dev sets' misses")
    args = ap.parse_args(argv)
    figures = asyncio.run(run(frozen=args.frozen))
    for f in figures:
        print(f.line())
        if args.misses and not args.frozen:
            print("\n".join(f.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
