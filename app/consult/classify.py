"""Category decision over the 15 fixed codes: retrieval votes plus dictionary cues, with a confidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from app.consult.kb import CATEGORIES
from app.consult.retrieval import Hit
from app.consult.text import DATA_DIR

RETRIEVAL_SHARE = 0.6


@lru_cache(maxsize=1)
def cues() -> dict[str, dict[str, float]]:
    """category → {term: weight} from data/cues.txt."""
    out: dict[str, dict[str, float]] = {}
    for raw in (DATA_DIR / "cues.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        cat, rest = line.split(":", 1)
        cat = cat.strip()
        if cat not in CATEGORIES:
            raise ValueError(f"cues.txt: unknown category {cat!r}")
        terms: dict[str, float] = {}
        for item in rest.split():
            term, _, w = item.partition("*")
            terms[term] = float(w) if w else 1.0
        out[cat] = terms
    return out


@dataclass(frozen=True)
class Decision:
    category: str
    confidence: float
    ranking: list[tuple[str, float]]  # categories by probability, best first


def cue_scores(normalised: str) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    for cat, terms in cues().items():
        for term, w in terms.items():
            if term in normalised:
                scores[cat] += w
    return scores


def decide(normalised: str, hits: list[Hit], *, coverage: float) -> Decision:
    """Combine the categories of the best entries with the cue words.

    ``coverage`` (0..1) is how much of the question the best entry matched; a weak match lowers
    the confidence so that the bot asks instead of guessing.
    """
    votes: dict[str, float] = defaultdict(float)
    if hits:
        top = hits[0].score
        for rank, h in enumerate(hits[:8]):
            votes[h.entry.category] += (h.score / top) ** 2 / (1 + 0.5 * rank)
    rsum = sum(votes.values())
    cue = cue_scores(normalised)
    csum = sum(cue.values())
    probs: dict[str, float] = defaultdict(float)
    if rsum and csum:
        for c, v in votes.items():
            probs[c] += RETRIEVAL_SHARE * v / rsum
        for c, v in cue.items():
            probs[c] += (1 - RETRIEVAL_SHARE) * v / csum
    elif rsum:
        for c, v in votes.items():
            probs[c] = v / rsum
    elif csum:
        for c, v in cue.items():
            probs[c] = v / csum
    if not probs:
        return Decision("other", 0.0, [("other", 0.0)])
    ranking = sorted(probs.items(), key=lambda kv: -kv[1])
    best, p = ranking[0]
    strength = min(1.0, 0.35 + coverage) if hits else min(1.0, csum / 6)
    cue_boost = min(1.0, cue.get(best, 0.0) / 5)
    confidence = max(p * strength, p * cue_boost)
    return Decision(best, round(min(1.0, confidence), 3), ranking)
