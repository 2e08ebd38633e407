"""The mini-program's jobs: the subscribe message of a moment (a case's result), and expired sessions purged."""

from __future__ import annotations

from typing import Any

from app.jobs import service as jobs
from app.mp_api import service


@jobs.register("mp.notify")
async def notify(payload: dict[str, Any]) -> None:
    await service.notify(resident_id=int(payload["resident_id"]), moment=str(payload["moment"]),
                         data=dict(payload.get("data") or {}), page=payload.get("page"))


async def purge_sessions() -> None:
    await service.purge_expired()


SCHEDULES: list[tuple[str, float, Any]] = [
    ("mp.purge_sessions", 24 * 3600.0, purge_sessions),
]
