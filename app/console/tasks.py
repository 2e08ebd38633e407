"""Console schedules: delete expired staff sessions (a lookup already refuses them; this keeps the table small)."""

from __future__ import annotations

from typing import Any

from app.console.kit import sessions


async def purge_sessions() -> int:
    return await sessions.purge_expired()


SCHEDULES: list[tuple[str, float, Any]] = [
    ("console.purge_sessions", 3600.0, purge_sessions),
]
