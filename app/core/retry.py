"""Run a transaction again when the database rolled it back as a deadlock victim or a lock wait ran out.

MariaDB picks one of two transactions that wait on each other (1213) and rolls it back whole, so
running that transaction again is safe. Several processes (``fawu serve --workers``, the job engine's
workers) make this ordinary."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import OperationalError, TransactionManagementError

from app.core import metrics

log = logging.getLogger("fawu.db")
T = TypeVar("T")
RETRYABLE = ("1213", "Deadlock", "deadlock", "1205", "Lock wait timeout", "database is locked")


def retryable(exc: BaseException) -> bool:
    text = str(exc)
    return any(s in text for s in RETRYABLE)


async def retry_transaction(fn: Callable[[], Awaitable[T]], *, what: str, tries: int = 4) -> T:
    """``fn`` (one whole transaction) again, after a short random pause, when the database rolled it back."""
    for attempt in range(tries):
        try:
            return await fn()
        except (OperationalError, TransactionManagementError) as exc:
            if not retryable(exc) or attempt == tries - 1:
                raise
            metrics.caught(f"{what}.retry", log, "transaction retried after %s", type(exc).__name__,
                           level=logging.INFO)
            await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")
