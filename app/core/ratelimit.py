"""Rate limits with the `limits` library: counted in Redis when ``redis_url`` is set (every process
shares them), in this process's memory otherwise. Groups and their limits are settings
(``rate_limits``); app/edge.py says which endpoint belongs to which group.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from app.config import get_settings
from app.core import metrics
from app.errors import FawuError

log = logging.getLogger("fawu.ratelimit")


class RateLimited(FawuError):
    code = "rate_limited"
    message_zh = "操作太频繁了，请稍后再试。如有急事，请拨打 12348 公共法律服务热线。"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"操作太频繁了，请 {retry_after} 秒后再试。如有急事，请拨打 12348 公共法律服务热线。",
                         retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


_state: dict[str, Any] = {}


def _limiter() -> Any:
    """The limiter for the configured storage (built once per storage URL)."""
    url = get_settings().redis_url
    if _state.get("url") != url or "limiter" not in _state:
        # in memory, the sliding window counter: the moving window keeps every hit of the day and the
        # memory storage sweeps them all, one thread hop per identity, after each hit (with 5,000
        # residents that sweep took a tenth of the callback's event loop)
        limiter = (MovingWindowRateLimiter(storage_from_string("async+" + url, implementation="redispy",
                                                               key_prefix="fawu:rl"))
                   if url else SlidingWindowCounterRateLimiter(MemoryStorage()))
        _state.update(url=url, limiter=limiter)
    return _state["limiter"]


def reset() -> None:
    """Forget every count (tests; a new storage URL)."""
    _state.clear()


async def hit(group: str, *identity: str) -> None:
    """Count one request of ``identity`` (a client, a resident) in ``group``; RateLimited when over.

    Storage failures let the request through (logged and counted): a Redis outage must not take
    the service down with it.
    """
    spec = get_settings().rate_limits.get(group)
    if not spec:
        return
    items = parse_many(spec)
    limiter = _limiter()
    try:
        for item in items:
            if not await limiter.test(item, group, *identity):
                stats = await limiter.get_window_stats(item, group, *identity)
                raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))
        for item in items:
            await limiter.hit(item, group, *identity)
    except RateLimited:
        metrics.rate_limited.labels(group).inc()
        raise
    except Exception:  # the storage failed: serve rather than refuse everyone
        metrics.caught("ratelimit", log, "rate limit storage failed: %s not counted", group, level=logging.WARNING)
