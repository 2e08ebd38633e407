"""The shared Redis connection for state that is fast in Redis and correct without it (the WeChat
dialogue state). One client per process and URL; ``None`` when ``redis_url`` is empty or Redis failed
within the last ``PAUSE`` seconds, so a Redis outage costs one short timeout, not one per message.
Callers fall back to the database on ``None`` and on any exception (and then call ``caught()``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from app.config import get_settings
from app.core import metrics

log = logging.getLogger("fawu.redis")

TIMEOUT = 0.25  # seconds: the callback's budget is 4.5 s, and the database answers the same question
PAUSE = 5.0  # seconds without trying Redis after it failed

_state: dict[str, Any] = {}


def client() -> Any | None:
    """The redis.asyncio client for ``settings.redis_url``, or None (not configured, or paused after a failure)."""
    url = get_settings().redis_url
    if not url or time.monotonic() < _state.get("paused_until", 0.0):
        return None
    if _state.get("url") != url:
        # function-level: redis only when redis_url is set
        import redis.asyncio as aioredis

        _state.update(url=url, client=aioredis.from_url(url, socket_timeout=TIMEOUT,
                                                        socket_connect_timeout=TIMEOUT, decode_responses=True))
    return _state["client"]


def caught(what: str) -> None:
    """Redis failed: count it, and use the database alone for the next ``PAUSE`` seconds."""
    _state["paused_until"] = time.monotonic() + PAUSE
    metrics.caught(f"redis.{what}", log, "redis failed (%s): the database is used for %.0f s", what, PAUSE,
                   level=logging.WARNING)


def reset() -> None:
    """Forget the client and any pause (tests; a new URL)."""
    _state.clear()
