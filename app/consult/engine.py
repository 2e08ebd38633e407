"""The loaded knowledge base and its index (one per process, reloaded when the files change)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.config import get_settings
from app.consult.classify import Decision, decide
from app.consult.kb import Entry, KbProblem, load_kb
from app.consult.retrieval import Hit, Index
from app.consult.text import add_words, normalise
from app.core import metrics

log = logging.getLogger("fawu.consult")

RECHECK_SECONDS = 3.0


@dataclass
class Understanding:
    normalised: str
    hits: list[Hit]
    decision: Decision


class Engine:
    """A knowledge base folder (or a given list of entries) with its BM25 index."""

    def __init__(self, entries: list[Entry], *, folder: Path | None = None,
                 problems: list[KbProblem] | None = None) -> None:
        self.entries = entries
        self.folder = folder
        self.problems = problems or []
        add_words([k for e in entries for k in e.keywords])
        self.index = Index(entries)
        self.signature = _signature(folder) if folder else None
        self.checked_at = time.monotonic()

    @classmethod
    def from_folder(cls, folder: Path) -> Engine:
        loaded = load_kb(folder)
        for p in loaded.problems:
            log.warning("knowledge base: %s", p)
        return cls(loaded.entries, folder=folder, problems=loaded.problems)

    def understand(self, text: str, *, limit: int = 10) -> Understanding:
        norm = normalise(text)
        hits = self.index.search(text, limit=limit, normalised=norm)
        coverage = 0.0
        if hits:
            strength = self.index.query_strength(norm)
            coverage = hits[0].score / strength if strength else 0.0
        return Understanding(norm, hits, decide(norm, hits, coverage=min(1.0, coverage)))

    def get(self, entry_id: str) -> Entry | None:
        return self.index.by_id.get(entry_id)


def _signature(folder: Path | None) -> tuple[tuple[str, float, int], ...]:
    if folder is None or not folder.is_dir():
        return ()
    out = []
    for p in sorted(folder.glob("*.toml")):
        st = p.stat()
        out.append((p.name, st.st_mtime, st.st_size))
    return tuple(out)


_lock = threading.Lock()
_engine: Engine | None = None
_override: Path | None = None


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


def get_engine() -> Engine:
    """The process's engine; the folder is re-read when a file changed (checked every few seconds)."""
    global _engine
    eng = _engine
    if eng is not None and eng.folder is not None and eng.folder != kb_folder():
        eng = None  # another folder was asked for meanwhile
    if eng is not None:
        if eng.folder is None or time.monotonic() - eng.checked_at < RECHECK_SECONDS:
            return eng
        eng.checked_at = time.monotonic()
        if _signature(eng.folder) == eng.signature:
            return eng
    with _lock:
        folder = kb_folder()
        if _engine is None or _engine is eng or (_engine.folder is not None and _engine.folder != folder):
            _engine = Engine.from_folder(folder)
        return _engine


def warm_up() -> None:
    """Load the segmenter and the knowledge base now (at app start, in a thread) rather than on a query."""
    try:
        get_engine()
    except Exception as exc:  # a broken knowledge base is reported by ``fawu kb check``
        metrics.caught("consult.warm_up", log, "consultation engine not warmed up: %s", exc, level=logging.WARNING)
