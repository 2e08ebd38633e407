"""The loaded knowledge base with everything learnt from it (one per folder and process).

Built at start-up in a thread (``warm_up``), never on the event loop: the BM25 index, the supervised
model (category and entry, retrained from the entries), the safety gate and the article index of
the statute corpus. ``current()`` returns the engine at once; a changed folder is noticed by a
check that runs in a thread at most every RECHECK_SECONDS, and the new engine replaces the old one
when it is built.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import pickle
import re
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.config import get_settings
from app.consult import safety
from app.consult.classify import Decision, cue_scores
from app.consult.intents import IntentModel
from app.consult.kb import REPEALED, Entry, KbProblem, Statute, load_kb
from app.consult.learn import Model
from app.consult.paraphrase import written_for
from app.consult.retrieval import Hit, Index
from app.consult.sides import entry_side, side_fit, sides_of
from app.consult.text import add_words, clean, normalise, strip_frame
from app.core import metrics, segment
from app.laws import service as laws_service

log = logging.getLogger("fawu.consult")

RECHECK_SECONDS = 3.0
CANDIDATES = 40
# How the entry score is made (tuned on the KB's asks and tests/consult/dev, never on the frozen sets).
W_SIM, W_BM25, W_CAT = 0.55, 0.30, 0.15
W_SIDE_MATCH, W_SIDE_CONFLICT = 0.06, 0.20
W_ART = 0.08  # an entry citing an article that article-level retrieval also finds  # the resident's side: a small lift, a firm push down when opposite
SECOND_ISSUE = 0.45  # a clause's own best entry scores at least this to be answered beside the first
SAME_CATEGORY_ISSUE = 0.65  # ... and this (both clauses) when the two matters share a category
CAT_MARGIN = 0.02  # the best entry's category wins over the blended one when it leads that category's best by this
CLOSE = 0.006  # top two entries closer than this (and both fitting): offer both titles


@dataclass
class Understanding:
    normalised: str
    hits: list[Hit]
    decision: Decision
    sides: list[str] = field(default_factory=list)
    close: bool = False  # the top two are too close to choose: ask which
    second_issue: Hit | None = None  # a second, different matter in the same message


class Engine:
    """A knowledge base folder (or a given list of entries) with its indexes and model."""

    def __init__(self, entries: list[Entry], *, folder: Path | None = None,
                 problems: list[KbProblem] | None = None, laws_dir: Path | None = None) -> None:
        self.entries = entries
        self.folder = folder
        self.problems = problems or []
        add_words([k for e in entries for k in e.keywords])
        self.index = Index(entries, {e.id: written_for(e.id) for e in entries})
        self.model = Model(entries) if entries else None
        self.position = {e.id: i for i, e in enumerate(entries)}
        self.sides = [entry_side(e.side, e.question) for e in entries]
        questions = tuple(sorted({t for e in entries for t in (e.question, *e.asks)}))
        self.gate = _gate(questions)
        self.intents = _intent_model(questions)
        self.articles: Any = None
        if laws_dir is not None and laws_dir.is_dir():
            self.articles = laws_service.article_index(laws_dir, repealed=REPEALED)
        self.signature = _signature(folder) if folder else None
        self.checked_at = time.monotonic()

    def revive(self, folder: Path) -> None:
        """After loading from the cache: teach the segmenter the KB's words again, fresh timestamps."""
        add_words([k for e in self.entries for k in e.keywords])
        self.folder = folder
        self.signature = _signature(folder)
        self.checked_at = time.monotonic()

    @classmethod
    def from_folder(cls, folder: Path, *, laws_dir: Path | None = None) -> Engine:
        loaded = load_kb(folder)
        for p in loaded.problems:
            log.warning("knowledge base: %s", p)
        return cls(loaded.entries, folder=folder, problems=loaded.problems, laws_dir=laws_dir)

    def understand(self, text: str, *, limit: int = 10, depth: int = 0) -> Understanding:
        text = strip_frame(text)  # greetings, "I want to ask", "thanks": not the matter
        norm = normalise(text)
        # side cues read the resident's own words (normalisation rewrites 撞了, 儿子...) and the canonical ones
        sides = list(dict.fromkeys(sides_of(clean(text).replace(" ", "")) + sides_of(norm.replace(" ", ""))))
        if self.model is None:
            return Understanding(norm, [], Decision("other", 0.0, [("other", 0.0)]), sides)
        scores = self.model.scores(norm)
        bm = self.index.search(text, limit=CANDIDATES, normalised=norm)
        strength = self.index.query_strength(norm) or 1.0
        bm_norm = {self.position[h.entry.id]: min(1.0, h.score / strength) for h in bm}
        sim = scores.entries
        pool = set(bm_norm)
        if len(sim):
            k = min(CANDIDATES, len(sim))
            pool.update(int(i) for i in sim.argpartition(-k)[-k:])
        cats = self._categories(scores.categories, norm)
        ranked: list[tuple[float, int]] = []
        for i in pool:
            e = self.entries[i]
            s = (W_SIM * float(sim[i]) + W_BM25 * bm_norm.get(i, 0.0) + W_CAT * cats.get(e.category, 0.0)
                 + _side_weight(side_fit(self.sides[i], sides)))
            ranked.append((s, i))
        ranked.sort(reverse=True)
        hits = [Hit(self.entries[i], round(s, 4)) for s, i in ranked[:max(limit, 3)]]
        ranking = _blend(cats, hits)
        best_cat, _ = ranking[0] if ranking else ("other", 0.0)
        p = cats.get(best_cat, 0.0)
        main, second = _two_matters(self._issues(text, depth=depth), hits, best_cat)
        if main is not None:  # two matters, each understood with confidence on its own: the main one first
            hits = [main, *(h for h in hits if h.entry.id != main.entry.id)]
            best_cat, p = main.entry.category, max(p, 0.8)
        elif hits and hits[0].entry.category != best_cat:
            inside = next((h.score for h in hits if h.entry.category == best_cat), 0.0)
            if hits[0].score - inside > CAT_MARGIN:  # the best entry clearly beats the category's best: its category
                best_cat = hits[0].entry.category  # (the confidence keeps the blend's probability)
        top_i = self.position[hits[0].entry.id] if hits else -1
        top_sim = float(sim[top_i]) if hits else 0.0
        if self.model.svm is None:  # one category only: the classifier cannot say "none of these"
            p = min(1.0, top_sim / 0.35)
        coverage = bm_norm.get(top_i, 0.0)
        confidence = round(min(1.0, 0.5 * p + 0.25 * min(1.0, top_sim / 0.35) + 0.25 * coverage), 3)
        decision = Decision(best_cat, confidence, ranking)
        close = len(hits) > 1 and hits[0].score - hits[1].score < CLOSE and hits[1].entry.category == best_cat \
            and hits[0].entry.category == best_cat and not _same_point(hits[0].entry, hits[1].entry)
        return Understanding(norm, hits[:limit], decision, sides, close=close and second is None,
                             second_issue=second)

    def _categories(self, learnt: dict[str, float], norm: str) -> dict[str, float]:
        """The classifier's probabilities, nudged by the dictionary cues (a small share)."""
        cue = cue_scores(norm)
        total = sum(cue.values())
        out: dict[str, float] = defaultdict(float)
        for c, v in learnt.items():
            out[c] += 0.85 * v
        if total:
            for c, v in cue.items():
                out[c] += 0.15 * v / total
        else:
            for c in learnt:
                out[c] += 0.15 * learnt[c]
        return dict(out)

    def _issues(self, text: str, *, depth: int = 0) -> list[Hit]:
        """When the message has clauses about different matters: each clause's best entry, when sure of it
        (in the order asked, one per entry)."""
        parts = [p for p in re.split(r"[。！？!?；;\n]|还有|另外|顺便|再问|以及", text) if len(p.strip()) >= 6]
        if depth or len(parts) < 2 or self.model is None:
            return []
        out: dict[str, Hit] = {}
        for part in parts:
            u = self.understand(part, limit=3, depth=1)
            if u.hits and u.hits[0].score >= SECOND_ISSUE and u.decision.confidence >= 0.6:
                out.setdefault(u.hits[0].entry.id, u.hits[0])
        return list(out.values())

    def article_exists(self, law: str, article: str) -> bool:
        """Whether the statute corpus has this article (True when no corpus is loaded: the KB check holds)."""
        return self.articles is None or not len(self.articles) or self.articles.get(law, article) is not None

    def get(self, entry_id: str) -> Entry | None:
        return self.index.by_id.get(entry_id)

    def decisive_articles(self, text: str, hits: list[Hit], *, n: int = 3) -> list[Statute]:
        """The articles that decide the question: the best entries' statutes (decisive first), backed by
        article-level retrieval over the corpus; only articles in the corpus and never a repealed law."""
        score: dict[tuple[str, str], float] = defaultdict(float)
        for rank, h in enumerate(hits[:3]):
            w = 1.0 / (1 + rank)
            for pos, s in enumerate(h.entry.statutes):
                score[(s.law, s.article)] += w / (1 + 0.6 * pos)
        if self.articles is not None and len(self.articles):
            laws = {s.law for h in hits[:3] for s in h.entry.statutes}
            found = self.articles.search(laws_service.article_words(normalise(text)), limit=20)
            best = found[0][1] if found else 1.0
            for ref, s in found:
                if ref.law in laws:
                    score[(ref.law, ref.label)] += 0.35 * s / best
            known = [k for k in score if self.articles.get(*k) is not None]
            if known:
                score = {k: score[k] for k in known}
        ranked = sorted(score.items(), key=lambda kv: -kv[1])
        return [Statute(law, art) for (law, art), _s in ranked if law not in REPEALED][:n]


@lru_cache(maxsize=4)
def _gate(questions: tuple[str, ...]) -> safety.SafetyGate:
    """The safety gate trained with these knowledge-base questions as ordinary messages (cached: an
    engine rebuilt from the same questions, or a benchmark's grown copy, reuses it)."""
    return safety.gate(list(questions))


@lru_cache(maxsize=4)
def _intent_model(questions: tuple[str, ...]) -> IntentModel:
    return IntentModel(questions)


def _blend(cats: dict[str, float], hits: list[Hit]) -> list[tuple[str, float]]:
    """The category: the classifier's probabilities with the votes of the best entries (normalised)."""
    votes: dict[str, float] = defaultdict(float)
    for rank, h in enumerate(hits[:5]):
        votes[h.entry.category] += h.score / (1 + rank)
    total = sum(votes.values()) or 1.0
    out = {c: 0.5 * p for c, p in cats.items()}
    for c, v in votes.items():
        out[c] = out.get(c, 0.0) + 0.5 * v / total
    return sorted(out.items(), key=lambda kv: -kv[1])


def _two_matters(issues: list[Hit], hits: list[Hit], category: str) -> tuple[Hit | None, Hit | None]:
    """(main, second) when the clauses raise two matters: of two categories, or of one category when both
    clauses are clearly understood (a story's context clause is not a matter); else (None, None)."""
    if len(issues) < 2 or not hits:
        return None, None
    ids = {h.entry.id for h in issues}
    main = hits[0] if hits[0].entry.id in ids and hits[0].entry.category == category else \
        next((h for h in issues if h.entry.category == category), issues[0])
    main = next(h for h in issues if h.entry.id == main.entry.id)
    for other in issues:
        if other.entry.id == main.entry.id:
            continue
        if other.entry.category != main.entry.category or min(other.score, main.score) >= SAME_CATEGORY_ISSUE:
            return main, other
    return None, None


def _same_point(a: Entry, b: Entry) -> bool:
    """Two entries that cite a common article answer the same legal point: asking which one the resident
    means buys nothing, the better one is answered (a menu is kept for entries on different law)."""
    return bool({(s.law, s.article) for s in a.statutes} & {(s.law, s.article) for s in b.statutes})


def _side_weight(fit: float) -> float:
    return W_SIDE_MATCH * fit if fit > 0 else W_SIDE_CONFLICT * fit


def _signature(folder: Path | None) -> tuple[tuple[str, float, int], ...]:
    if folder is None or not folder.is_dir():
        return ()
    out = []
    for p in sorted(folder.glob("*.toml")):
        st = p.stat()
        out.append((p.name, st.st_mtime, st.st_size))
    return tuple(out)


_build_lock = threading.Lock()  # only ever taken in a worker thread (or the CLI), never on the event loop
_engine: Engine | None = None
_by_folder: dict[tuple[Path, tuple[tuple[str, float, int], ...]], Engine] = {}
_override: Path | None = None
_refreshing: asyncio.Task[None] | None = None


def use_folder(folder: Path | None) -> None:
    """Serve a different knowledge-base folder (tests, ``fawu ask --kb``); None: the settings' one."""
    global _override, _engine
    _override = folder
    _engine = None


def set_engine(engine: Engine | None) -> None:
    """Install a prepared engine (the benchmark's grown knowledge base)."""
    global _engine
    _engine = engine


def kb_folder() -> Path:
    if _override is not None:
        return _override
    return get_settings().content_dir / "kb"


def laws_folder() -> Path | None:
    return get_settings().laws_dir


def load() -> Engine:
    """Build (or reuse) the engine of the current folder: blocking, for threads and the CLI."""
    global _engine
    with _build_lock:
        folder = kb_folder()
        sig = _signature(folder)
        key = (folder.resolve(), sig)
        eng = _by_folder.get(key)
        if eng is None:
            eng = _from_cache_or_build(folder, laws_folder())
            for old in [k for k in _by_folder if k[0] == key[0]] + list(_by_folder)[:-2]:
                _by_folder.pop(old, None)  # a few built engines per process (tests switch folders)
            _by_folder[key] = eng
        eng.checked_at = time.monotonic()
        _engine = eng
        return eng


CACHE_VERSION = "1"


def _cache_key(folder: Path, laws_dir: Path | None) -> str:
    """A digest of everything the engine is built from: the KB files, the corpus files' names and
    sizes, the engine's data files and code (a change anywhere builds afresh)."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    for p in sorted(folder.glob("*.toml")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    if laws_dir is not None and laws_dir.is_dir():
        for p in sorted(laws_dir.glob("*.md")):
            h.update(f"{p.name}:{p.stat().st_size}".encode())
    here = Path(__file__).parent
    data = [p for p in (here / "data").rglob("*") if p.is_file()]  # paraphrases/ too
    for p in sorted([*here.glob("*.py"), *data]) + [here.parent / "laws" / "index.py"]:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:24]


def _from_cache_or_build(folder: Path, laws_dir: Path | None) -> Engine:
    """The engine from the on-disk cache (var_dir/cache) when nothing it was built from changed, else
    built now and cached (written atomically; a broken or unreadable cache is rebuilt)."""
    try:
        cache_dir = get_settings().var_dir / "cache"
        path = cache_dir / f"consult-{_cache_key(folder, laws_dir)}.pickle"
    except OSError:
        return Engine.from_folder(folder, laws_dir=laws_dir)
    if path.exists():
        try:
            with path.open("rb") as fh:
                eng = pickle.load(fh)  # noqa: S301 - our own file, written below
            if isinstance(eng, Engine):
                eng.revive(folder)
                return eng
        except Exception as exc:  # stale or truncated: build again
            metrics.caught("consult.engine_cache", log, "consult engine cache not usable (%s), rebuilding",
                           type(exc).__name__, level=logging.INFO)
    eng = Engine.from_folder(folder, laws_dir=laws_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("consult-*.pickle"):
            if time.time() - old.stat().st_mtime > 86400:
                old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(eng, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.info("consult engine cache not written: %s", exc)
    return eng


def get_engine() -> Engine:
    """The engine, built now if none is (blocking: the CLI, the benchmark and threads only)."""
    eng = _engine
    if eng is not None and (eng.folder is None or eng.folder == kb_folder()):
        return eng
    return load()


def _stale(eng: Engine) -> bool:
    return eng.folder is not None and _signature(eng.folder) != eng.signature


def _check() -> None:
    eng = _engine
    if eng is not None and _stale(eng):
        log.info("knowledge base changed, rebuilding the consultation engine")
        load()


async def current() -> Engine:
    """The engine for a request: built in a thread if none yet; a changed folder is checked for in a
    thread at most every RECHECK_SECONDS and the rebuilt engine swapped in when ready."""
    global _refreshing
    eng = _engine
    if eng is None or (eng.folder is not None and eng.folder != kb_folder()):
        return await asyncio.to_thread(load)
    if eng.folder is not None and time.monotonic() - eng.checked_at >= RECHECK_SECONDS \
            and (_refreshing is None or _refreshing.done()):
        eng.checked_at = time.monotonic()
        _refreshing = asyncio.create_task(asyncio.to_thread(_check))
    return eng


async def refresh() -> Engine:
    """Check the folder now and rebuild if it changed (waits, off the event loop)."""
    await asyncio.to_thread(_check)
    return await current()


def warm_up() -> None:
    """Build the segmenter, the knowledge base's engine and the safety gate now (at start-up, in a thread)."""

    segment.warm()
    try:
        load()
    except Exception as exc:  # a broken knowledge base is reported by ``fawu kb check``
        metrics.caught("consult.warm_up", log, "consultation engine not warmed up: %s", exc, level=logging.WARNING)
