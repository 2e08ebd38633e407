"""Article-level retrieval over the statute corpus files (no database): BM25 over each article's words.

Built once per corpus folder (at start-up, off the event loop) for the consultation, which names the
articles that decide a question; only laws in force are indexed (REPEALED names are skipped).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from app.core import segment
from app.laws.parse import parse_folder

K1 = 1.2
B = 0.75
MAX_QUERY_WORDS = 8
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")
_STOP = frozenset("的 了 和 与 及 或 是 在 有 为 其 应当 可以 不得 依照 本法 规定 按照 有关 以及 或者 并 由 对 "
                  "等 其他 人民 中华人民共和国 条例 办法 第一款 前款 本条".split())


@dataclass(frozen=True)
class ArticleRef:
    law: str  # short name
    label: str  # 第八十二条
    date: str  # the law's date, ISO (may be empty)
    text: str

    def cite(self) -> str:
        return f"《{self.law}》{self.label}"


def article_words(text: str) -> list[str]:
    return [w for w in segment.cut(text) if _CJK_WORD.match(w) and w not in _STOP]


class ArticleIndex:
    """Every article of the corpus, searchable by words; ``get`` by (law, label)."""

    def __init__(self, folder: Path, *, repealed: frozenset[str] = frozenset()) -> None:
        self.articles: list[ArticleRef] = []
        self.by_key: dict[tuple[str, str], int] = {}
        docs: list[Counter[str]] = []
        for sname, law in parse_folder(folder).items() if folder.is_dir() else ():
            if sname in repealed:
                continue
            date = law.date.isoformat() if law.date else ""
            for a in law.articles:
                self.by_key[(sname, a.label)] = len(self.articles)
                self.articles.append(ArticleRef(sname, a.label, date, a.text))
                docs.append(Counter(article_words(a.text)))
        n = len(docs) or 1
        avg = sum(sum(d.values()) for d in docs) / n or 1.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, d in enumerate(docs):
            norm = K1 * (1 - B + B * sum(d.values()) / avg)
            for t, tf in d.items():
                postings[t].append((i, self.idf[t] * tf * (K1 + 1) / (tf + norm)))
        self.postings = dict(postings)

    def __len__(self) -> int:
        return len(self.articles)

    def get(self, law: str, label: str) -> ArticleRef | None:
        i = self.by_key.get((law, label))
        return None if i is None else self.articles[i]

    def search(self, words: list[str], *, limit: int = 10) -> list[tuple[ArticleRef, float]]:
        """The best articles for the words, best first, with their BM25 scores."""
        scores: dict[int, float] = defaultdict(float)
        known = sorted((w for w in dict.fromkeys(words) if w in self.postings), key=lambda w: -self.idf[w])
        for w in known[:MAX_QUERY_WORDS]:  # the rarest words decide; common ones only cost time
            for i, s in self.postings.get(w, ()):
                scores[i] += s
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
        return [(self.articles[i], s) for i, s in best]


_indexes: dict[Path, ArticleIndex] = {}


def article_index(folder: Path, *, repealed: frozenset[str] = frozenset()) -> ArticleIndex:
    """The index of a corpus folder, built once per process (call it off the event loop)."""
    key = folder.resolve()
    idx = _indexes.get(key)
    if idx is None:
        idx = _indexes[key] = ArticleIndex(folder, repealed=repealed)
    return idx
