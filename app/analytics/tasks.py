"""Jobs of the analytics domain: the daily rollup, then the early-warning check.

The in-process runner awaits a schedule before it runs the outbox's jobs, so the schedule only starts
the work as a background task (its queries await, the worker's jobs go on meanwhile); one run at a time.
A scheduled run fills at most ``SCHEDULED_FILL`` missing periods (a first start on a large district
spreads the history over a few days); ``fawu analytics rollup`` fills everything at once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.analytics import service
from app.config import get_settings
from app.core import metrics
from app.jobs.service import register

log = logging.getLogger("fawu.analytics")
SCHEDULED_FILL = 24
_running: set[asyncio.Task[Any]] = set()


@register("analytics.rollup")
async def rollup_job(payload: dict[str, Any]) -> None:
    await daily()


async def daily(*, max_missing: int = 200) -> dict[str, Any]:
    """Refresh the rollup, then look for surges and clusters in it."""
    done: dict[str, Any] = dict(await service.run_rollup(max_missing=max_missing))
    done["warnings"] = len(await service.check_warnings())
    return done


async def _background() -> None:
    try:
        await daily(max_missing=SCHEDULED_FILL)
    except Exception:  # the next day tries again; the pages show when the rollup last ran
        metrics.caught("analytics.daily", log, "analytics daily run failed")


async def start_daily() -> bool:
    """The schedule: start the daily run in the background unless one is still running."""
    if any(not t.done() for t in _running):
        return False
    task = asyncio.create_task(_background(), name="analytics.daily")
    _running.add(task)
    task.add_done_callback(_running.discard)
    return True


def _every() -> float:
    return get_settings().analytics_rollup_hours * 3600.0


SCHEDULES: list[tuple[str, Any, Any]] = [
    ("analytics.daily", _every, start_daily),
]
