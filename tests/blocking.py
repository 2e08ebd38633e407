"""A guard against blocking calls on the event loop: while it is active, the guarded functions raise
(and are recorded) when called from a thread that runs an asyncio loop. Worker threads
(``asyncio.to_thread``) are fine. Used suite-wide for argon2 and ``time.sleep`` (tests/conftest.py)
and for file I/O and the jieba segmenter in tests/test_event_loop.py."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import argon2

HOW = "run it in a worker thread (await asyncio.to_thread(...)) or at start-up, never on the event loop"


class BlockingCall(AssertionError):
    pass


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _guarded(name: str, fn: Callable[..., Any], seen: list[str]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _on_loop():
            seen.append(name)
            raise BlockingCall(f"blocking call on the event loop: {name}: {HOW}")
        return fn(*args, **kwargs)

    return wrapper


ARGON2 = [(argon2.PasswordHasher, "hash"), (argon2.PasswordHasher, "verify")]
SLEEP = [(time, "sleep")]


def file_io() -> list[tuple[Any, str]]:
    return [(builtins, "open")]


def jieba_init() -> list[tuple[Any, str]]:
    import jieba

    return [(jieba.Tokenizer, "initialize")]


@contextlib.contextmanager
def no_blocking(targets: list[tuple[Any, str]]) -> Iterator[list[str]]:
    """Guard ``targets`` ((owner, attribute) pairs); yields the list of blocking calls seen."""
    seen: list[str] = []
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr in targets]
    try:
        for owner, attr, fn in saved:
            label = f"{getattr(owner, '__name__', owner)}.{attr}"
            setattr(owner, attr, _guarded(label, fn, seen))
        yield seen
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)
