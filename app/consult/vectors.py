"""Fast query-time TF-IDF for fitted scikit-learn vectorizers: one message → (indices, values) with
dictionary lookups and numpy, without sklearn's per-call validation (a consultation's budget is ~1 ms
per model); linear scores and probabilities from a fitted model's coefficients."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np


class FastTfidf:
    """The query side of one or more fitted TfidfVectorizers placed side by side (their columns
    concatenated, as ``scipy.sparse.hstack`` of their outputs), l2-normalised over the whole."""

    def __init__(self, *fitted: Any) -> None:
        self.parts = []
        offset = 0
        for v in fitted:
            self.parts.append((v.build_analyzer(), v.vocabulary_, v.idf_.astype(np.float32), offset,
                               bool(v.sublinear_tf)))
            offset += len(v.vocabulary_)
        self.width = offset

    def vector(self, text: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        idx: list[int] = []
        vals: list[np.ndarray[Any, Any]] = []
        for analyze, vocab, idf, offset, sublinear in self.parts:
            counts = Counter(t for t in analyze(text) if t in vocab)
            if not counts:
                continue
            js = np.fromiter((vocab[t] for t in counts), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            v = ((1.0 + np.log(tf)) if sublinear else tf) * idf[js]
            n = float(np.sqrt((v * v).sum()))  # each vectorizer's own l2 norm, as sklearn does
            idx.extend((js + offset).tolist())
            vals.append(v / n if n else v)
        i = np.asarray(idx, dtype=np.int64)
        v = np.concatenate(vals).astype(np.float32) if vals else np.zeros(0, dtype=np.float32)
        if len(self.parts) > 1:
            n = float(np.sqrt((v * v).sum()))
            v = v / n if n else v
        return i, v

    def dense(self, text: str) -> np.ndarray[Any, Any]:
        q = np.zeros(self.width, dtype=np.float32)
        i, v = self.vector(text)
        q[i] = v
        return q


def decision(coef: np.ndarray[Any, Any], intercept: np.ndarray[Any, Any],
             idx: np.ndarray[Any, Any], val: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A linear model's decision values for a sparse query (coef: classes × features, dense)."""
    return coef[:, idx] @ val + intercept


def softmax(d: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    e = np.exp(d - d.max())
    return e / e.sum()
