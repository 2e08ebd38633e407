"""Subscribers of ``boards.followups_requested`` for the analytics test only: a counter of the real
consultation rows the landing page's form created, and a broken one."""

from __future__ import annotations

from datetime import datetime


async def count_by_board(*, board_codes: list[str] | None = None, since: datetime | None = None,
                         until: datetime | None = None) -> dict[str, int]:
    from app.consult.models import Consultation

    qs = Consultation.filter(board_code__not_isnull=True)
    if board_codes is not None:
        qs = qs.filter(board_code__in=board_codes)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    out: dict[str, int] = {}
    for code in await qs.values_list("board_code", flat=True):
        out[str(code)] = out.get(str(code), 0) + 1
    return out


async def broken(**_: object) -> dict[str, int]:
    raise RuntimeError("a bug in another domain")


async def consulted(*, board_codes: list[str] | None = None, since: datetime | None = None,
                    until: datetime | None = None) -> dict[str, dict[str, int]]:
    return {"consulted": await count_by_board(board_codes=board_codes, since=since, until=until)}
