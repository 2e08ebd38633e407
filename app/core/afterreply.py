"""Work that can wait until the answer has gone out (the WeChat callback's bookkeeping).

The callback route opens a collector around one request (``collecting()``); ``after_reply(fn)`` inside it
queues ``fn`` and returns at once; the route runs the queue once the response is sent (``drain()``, a
Starlette background task). Outside a collector (the CLI, jobs, a service called directly), or once the
collector was drained (an answer that went over budget and is finished by the deferred path), ``fn`` runs
at once (its failure raised to the caller as before). Only what may be lost without breaking a promise goes here: the message itself is stored and
de-duplicated before the reply, never after (app.wechat.callback). A queued function that fails is
logged and counted, never raised (the resident already has the answer).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable

from app.core import metrics

log = logging.getLogger("fawu.afterreply")

Later = Callable[[], Awaitable[object]]


class Collector:
    def __init__(self) -> None:
        self.queue: list[tuple[str, Later]] = []
        self.closed = False

    async def drain(self) -> None:
        """Run what was queued, in order; later calls of after_reply run at once."""
        self.closed = True
        while self.queue:
            name, fn = self.queue.pop(0)
            await _run(name, fn)


_current: contextvars.ContextVar[Collector | None] = contextvars.ContextVar("fawu_after_reply", default=None)


def collecting() -> Collector:
    """Open a collector for this request (and the tasks it starts)."""
    c = Collector()
    _current.set(c)
    return c


async def _run(name: str, fn: Later) -> None:
    try:
        await fn()
    except Exception:
        metrics.caught(f"after_reply.{name}", log, "work after the reply failed: %s", name)


async def after_reply(name: str, fn: Later) -> None:
    """Queue ``fn`` for after the reply, or run it now when no reply is being prepared."""
    c = _current.get()
    if c is None or c.closed:
        await fn()  # as before: the caller sees its failure
    else:
        c.queue.append((name, fn))
