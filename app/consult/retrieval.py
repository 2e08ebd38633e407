"""BM25 retrieval over the knowledge base (question + asks + keywords), precomputed at load time."""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from operator import itemgetter

from app.consult.kb import Entry
from app.consult.text import normalise, tokens

K1 = 1.2
B = 0.6
BIGRAM_WEIGHT = 0.35  # character bigrams ("~xy") count less than whole words


def _weight(token: str) -> float:
    return BIGRAM_WEIGHT if token.startswith("~") else 1.0


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


class Index:
    """An inverted index: token → [(entry number, precomputed BM25 weight)]."""

    def __init__(self, entries: list[Entry], extra: dict[str, list[str]] | None = None) -> None:
        """``extra``: more ways of asking per entry id (the written paraphrases' trained part)."""
        self.entries = entries
        docs: list[Counter[str]] = []
        for e in entries:
            parts = [e.question, e.question, *e.asks, *e.keywords, *e.keywords, *(extra or {}).get(e.id, [])]
            toks: list[str] = []
            for p in parts:
                toks.extend(tokens(p, fix_typos=False))
            docs.append(Counter(toks))
        n = len(docs) or 1
        lengths = [sum(_weight(t) * c for t, c in d.items()) for d in docs]
        avg = (sum(lengths) / n) or 1.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        ids: dict[str, array[int]] = defaultdict(lambda: array("i"))
        weights: dict[str, array[float]] = defaultdict(lambda: array("f"))
        for i, d in enumerate(docs):
            norm = K1 * (1 - B + B * lengths[i] / avg)
            for t, tf in d.items():
                ids[t].append(i)
                weights[t].append(_weight(t) * self.idf[t] * tf * (K1 + 1) / (tf + norm))
        # Common tokens (in many entries) only add to candidates found by rarer ones: fast at 10k entries.
        self.common_df = max(50, int(n * 0.02))
        self.postings = {t: (ids[t], weights[t]) for t in ids}
        self.common = {t: dict(zip(ids[t], weights[t], strict=True)) for t in ids if len(ids[t]) > self.common_df}
        self.by_id = {e.id: e for e in entries}

    def search(self, text: str, *, limit: int = 10, normalised: str | None = None) -> list[Hit]:
        """The best entries for a question, best first (score 0 entries never returned)."""
        norm = normalised if normalised is not None else normalise(text)
        qtoks = [t for t in set(tokens(norm, already_normalised=True)) if t in self.postings]
        rare = [t for t in qtoks if t not in self.common]
        common = [t for t in qtoks if t in self.common]
        scores: dict[int, float] = defaultdict(float)
        for t in rare:
            ids, weights = self.postings[t]
            for i, w in zip(ids, weights, strict=True):
                scores[i] += w
        if not scores:  # only common tokens: score them fully
            for t in common:
                ids, weights = self.postings[t]
                for i, w in zip(ids, weights, strict=True):
                    scores[i] += w
        else:
            for t in common:
                table = self.common[t]
                for i in scores:
                    extra = table.get(i)
                    if extra is not None:
                        scores[i] += extra
        best = heapq.nlargest(limit, scores.items(), key=itemgetter(1))
        return [Hit(self.entries[i], s) for i, s in best if s > 0]

    def query_strength(self, normalised: str) -> float:
        """The best score a query could reach (all its known tokens matched once): scales confidence."""
        qtoks = set(tokens(normalised, already_normalised=True))
        return sum(_weight(t) * self.idf.get(t, 0.0) for t in qtoks)
