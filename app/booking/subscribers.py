"""What booking answers when another domain asks: bookings per board for the scan analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.booking import service


async def count_followups(*, board_codes: list[str] | None = None, since: datetime | None = None,
                          until: datetime | None = None, **_: Any) -> dict[str, dict[str, int]]:
    return {"booked": await service.count_by_board(board_codes=board_codes, since=since, until=until)}
