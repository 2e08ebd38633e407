"""What the mini-program does when another domain's event happens."""

from __future__ import annotations

from typing import Any

from app.mp_api import service


async def end_sessions(*, resident_id: int, **_: Any) -> dict[str, int]:
    """A resident erased: their sessions end and what they allowed for subscribe messages goes."""
    return {"mp_sessions": await service.erase_resident(resident_id=resident_id)}
