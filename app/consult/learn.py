"""The supervised model, retrained from the knowledge base whenever it is loaded: a linear classifier
for the category and a nearest-neighbour classifier for the entry, over character n-grams and words
of the entries' questions, asks and thousands of generated paraphrases (app/consult/paraphrase.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from app.consult.kb import Entry
from app.consult.paraphrase import variants
from app.consult.text import normalise, words
from app.consult.vectors import FastTfidf, decision, softmax

MAX_EXAMPLES = 30_000  # past this, fewer paraphrases per entry (the nearest-paraphrase scan stays a few ms)


def _word_analyzer(text: str) -> list[str]:
    ws = words(text)
    return ws + [f"{a}_{b}" for a, b in zip(ws, ws[1:], strict=False)]


@dataclass
class Scores:
    categories: dict[str, float]  # probability per category
    entries: np.ndarray[Any, Any]  # similarity per entry (index of Model.entries)


class Model:
    """Category classifier (linear SVM on TF-IDF) and entry similarity (nearest paraphrase, centroid)."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        sources = 1 + sum(len(e.asks) for e in entries) / max(1, len(entries))
        per = max(0, min(4, int(MAX_EXAMPLES / max(1, len(entries)) / sources) - 1))
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(entries):
            for t in variants(e, per_source=per, others=entries if per else None):
                texts.append(normalise(t))
                owner.append(i)
        self.n_examples = len(texts)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                                     dtype=np.float32)
        self.words = TfidfVectorizer(analyzer=_word_analyzer, sublinear_tf=True, min_df=1, dtype=np.float32)
        x = sparse.hstack([self.chars.fit_transform(texts), self.words.fit_transform(texts)]).tocsr()
        x = _l2(x)
        self.owner = np.asarray(owner, dtype=np.int32)
        cats = [entries[i].category for i in owner]
        self.categories = sorted(set(cats))
        if len(self.categories) > 1:
            self.svm: Any = LinearSVC(C=0.5, class_weight="balanced")
            self.svm.fit(x, cats)
        else:
            self.svm = None
        self.examples = x
        self.fast = FastTfidf(self.chars, self.words)
        if self.svm is not None:
            self.coef = np.ascontiguousarray(self.svm.coef_, dtype=np.float32)
            self.intercept = self.svm.intercept_.astype(np.float32)
            self.classes = [str(c) for c in self.svm.classes_]
        # rows are grouped by entry (owner is sorted): reduceat gives the best row per entry
        self.starts = np.searchsorted(self.owner, np.arange(len(entries)))
        onehot = sparse.csr_matrix((np.ones(len(owner), dtype=np.float32), (self.owner, np.arange(len(owner)))),
                                   shape=(len(entries), len(owner)))
        self.centroids = _l2(onehot @ x).tocsr()  # entries × features
        self._transposed()

    def scores(self, normalised: str) -> Scores:
        idx, val = self.fast.vector(normalised)
        if self.svm is not None:
            d = decision(self.coef, self.intercept, idx, val)
            if len(self.categories) == 2:
                d = np.array([-d[0], d[0]])
            p = softmax(4.0 * d)
            cats = {c: float(v) for c, v in zip(self.classes, p, strict=True)}
        else:
            cats = {self.categories[0]: 1.0}
        examples_t, centroids_t = self._transposed()
        near = _dot(examples_t, idx, val, self.examples.shape[0])
        best = np.maximum.reduceat(near, self.starts) if len(near) else np.zeros(len(self.entries))
        cent = _dot(centroids_t, idx, val, self.centroids.shape[0])
        return Scores(cats, 0.6 * best + 0.4 * cent)

    def _transposed(self) -> tuple[Any, Any]:
        """The examples and centroids as features × rows (built with the model, pickled with it): a query
        reads only the rows of its own features, like an inverted index, instead of every stored value."""
        t = self.__dict__.get("_t")
        if t is None:
            t = self.__dict__["_t"] = (self.examples.T.tocsr(), self.centroids.T.tocsr())
        return t  # type: ignore[no-any-return]


def _dot(matrix_t: Any, idx: np.ndarray[Any, Any], val: np.ndarray[Any, Any], rows: int) -> np.ndarray[Any, Any]:
    """(matrix @ q) for the sparse query q = (idx, val), given matrix transposed (features × rows, CSR):
    about 10× faster than multiplying by the dense query (issue 24 profile: the largest part of a message)."""
    if not len(idx):
        return np.zeros(rows, dtype=np.float32)
    return np.asarray(matrix_t[idx].T @ val, dtype=np.float32).ravel()


def _l2(x: Any) -> Any:
    return normalize(x, norm="l2", copy=False)
