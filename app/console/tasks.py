"""Console schedules: delete expired staff sessions (a lookup already refuses them; this keeps the
table small); disable staff accounts left unused for ``staff_dormant_days``."""

from __future__ import annotations

from typing import Any

from app.console.kit import sessions
from app.core.actor import SYSTEM
from app.staff import service as staff_service


async def purge_sessions() -> int:
    return await sessions.purge_expired()


async def disable_dormant() -> list[str]:
    return await staff_service.disable_dormant(actor=SYSTEM)


SCHEDULES: list[tuple[str, float, Any]] = [
    ("console.purge_sessions", 3600.0, purge_sessions),
    ("console.disable_dormant", 6 * 3600.0, disable_dormant),
]
