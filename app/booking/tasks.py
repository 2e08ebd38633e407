"""Booking jobs and schedules: reminders (``booking.remind``), expired waiting-list holds (every 20 s,
so a freed place reaches the next resident within the minute), no-shows; the start-up hook loads the
services (and the demo's weekly plans) from content/booking when the database has none."""

from __future__ import annotations

import logging
from typing import Any

from app.booking import service
from app.config import get_settings
from app.core import metrics
from app.jobs.service import register

log = logging.getLogger("fawu.booking")


@register("booking.remind")
async def remind(payload: dict[str, Any]) -> None:
    await service.remind(booking_id=int(payload["booking_id"]), kind=str(payload["kind"]),
                         starts_at=str(payload["starts_at"]))


@register("booking.reminder_fallback")
async def reminder_fallback(payload: dict[str, Any]) -> None:
    await service.reminder_fallback(booking_id=int(payload["booking_id"]), kind=str(payload["kind"]),
                                    starts_at=str(payload["starts_at"]))


async def expire_holds() -> None:
    await service.expire_holds()


async def mark_no_shows() -> None:
    await service.mark_no_shows()


SCHEDULES = [
    ("booking.expire_holds", 20, expire_holds),
    ("booking.no_shows", 300, mark_no_shows),
]


async def load_content(*, demo: bool) -> tuple[int, int]:
    """Services from content/booking/services.toml when there are none; the demo's plans likewise."""
    folder = get_settings().content_dir / "booking"
    n_services = n_plans = 0
    if not await service.services(active_only=False) and (folder / "services.toml").is_file():
        n_services = await service.import_services(folder / "services.toml")
    if demo and (folder / "plans.toml").is_file():
        n_plans = await service.import_demo_plans(folder / "plans.toml")
    return n_services, n_plans


async def on_startup() -> None:
    s = get_settings()
    try:
        n, p = await load_content(demo=s.demo and s.demo_autoload)
    except Exception:  # no database (some CLI paths): loaded on the next start
        metrics.caught("booking.startup", log, "booking content not loaded at start-up", level=logging.WARNING)
        return
    if n or p:
        log.info("booking: %s services, %s demo plans loaded", n, p)
