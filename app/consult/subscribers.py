"""What the consult domain does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``residents.erased``: erase the questions the resident asked (counts stay for hot topics).
- ``residents.export_requested``: the questions the resident asked.
- ``residents.retention_due``: clear question text older than the cutoff.
- ``boards.followups_requested``: consultations asked after a board scan, by board code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.consult import service


async def erase_questions(*, resident_id: int, **_: Any) -> dict[str, int]:
    return {"messages": await service.erase_resident(resident_id=resident_id)}


async def export_questions(*, resident_id: int, **_: Any) -> dict[str, Any]:
    return {"consultations": await service.questions_of(resident_id=resident_id)}


async def purge_questions(*, before: datetime, **_: Any) -> int:
    return await service.purge_questions(before=before)


async def count_followups(*, board_codes: list[str] | None = None, since: datetime | None = None,
                          until: datetime | None = None, **_: Any) -> dict[str, dict[str, int]]:
    return {"consulted": await service.count_by_board(board_codes=board_codes, since=since, until=until)}
