"""The process's one Chinese word segmenter (jieba): built once at start-up, shared by consult and laws.

jieba's module-level ``jieba.lcut`` uses a global tokenizer that loads its dictionary on first use
(about a second, on whatever thread asks first). fawu never uses it: ``segmenter()`` is a private
``jieba.Tokenizer``, built by ``warm()`` at start-up (in a thread) or on first use outside a server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import jieba

_lock = threading.Lock()
_tokenizer: Any = None
_words: dict[str, int] = {}


def segmenter() -> Any:
    """The jieba tokenizer with every domain word added so far (built on first call)."""
    tok = _tokenizer
    if tok is not None:
        return tok
    return warm()


def warm() -> Any:
    """Build the tokenizer now (idempotent); call it at start-up, off the event loop."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            for word, freq in _words.items():
                tok.add_word(word, freq=freq)
            _tokenizer = tok
        return _tokenizer


def add_words(words: Iterable[str], *, freq: int = 50000) -> None:
    """Teach the segmenter domain words (2–12 characters); cheap, may be called again."""
    new = {w: freq for w in words if 2 <= len(w) <= 12 and _words.get(w, 0) < freq}
    with _lock:
        _words.update(new)
        if _tokenizer is not None:
            for w, f in new.items():
                _tokenizer.add_word(w, freq=f)


def cut(text: str) -> list[str]:
    """Words of a text (dictionary only, no HMM guesses: stable across runs)."""
    return segmenter().lcut(text, HMM=False)
