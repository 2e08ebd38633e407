"""Process-level resources of the WeChat engine (the shared HTTP client), closed at shutdown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

_closers: list[Callable[[], Awaitable[None]]] = []


def on_shutdown(fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    _closers.append(fn)
    return fn


async def shutdown() -> None:
    for fn in list(_closers):
        await fn()
