"""What the cases domain does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``residents.erased``: scrub the resident's case messages and summaries (inside the erasure's transaction).
- ``residents.export_requested``: the resident's cases and messages.
- ``residents.retention_due``: clear case chat text older than the cutoff.
- ``boards.followups_requested``: cases opened after a board scan, by board code.
- ``consult.handed_over``: open a case for staff with the conversation attached, or join the open one.
- ``catalog.references_requested``: the case types that must have a catalogue entry.
- ``consult.progress_requested``: the resident's cases and the "查进度" reply (the consultation's
  progress intent; app.cases.inbound also answers "查进度" itself ahead of the consultation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.cases import privacy, service


async def scrub_resident(*, resident_id: int, actor_id: int | None = None, actor_name: str = "系统",
                         reason: str = "", **_: Any) -> dict[str, int]:
    return await privacy.scrub_resident(resident_id=resident_id, actor_id=actor_id, actor_name=actor_name,
                                        reason=reason)


async def export_resident(*, resident_id: int, **_: Any) -> dict[str, Any]:
    return {"cases": await privacy.export_cases(resident_id=resident_id)}


async def purge_chat(*, before: datetime, **_: Any) -> int:
    return await privacy.purge_messages(before=before)


async def count_followups(*, board_codes: list[str] | None = None, since: datetime | None = None,
                          until: datetime | None = None, **_: Any) -> dict[str, dict[str, int]]:
    return {"cases": await service.count_by_board(board_codes=board_codes, since=since, until=until)}


async def open_handed_over(*, summary: str, category: str | None, urgent: bool,
                           resident_id: int | None, channel: str, account_key: str | None, openid: str | None,
                           community_code: str | None, township_code: str | None, board_code: str | None,
                           conversation: list[dict[str, Any]] | None, matter: list[str] | None = None,
                           asked: str = "", source_ref: str | None = None, **_: Any) -> dict[str, Any]:
    """A resident asked for a person (or the bot could not answer): the case staff will handle, or
    their open case joined (one matter, one case). Category and summary come from ``matter``; one
    case per ``source_ref`` (the inbound message), however often recovery runs the hand-over."""
    h = await service.open_or_join_handover(
        resident_id=resident_id, channel=channel, matter=matter if matter is not None else [summary],
        category=category, asked=asked, urgent=urgent, account_key=account_key, openid=openid,
        community_code=community_code, township_code=township_code, board_code=board_code,
        conversation=conversation, source_ref=source_ref)
    return {"case_id": h.case.id, "case_number": h.case.number, "joined": h.joined}


async def progress_of(*, resident_id: int | None = None, account_key: str | None = None,
                      openid: str | None = None, **_: Any) -> dict[str, Any]:
    """A resident asked how their matters stand (查进度/我的事项)."""
    cases = await service.resident_cases(resident_id=resident_id, account_key=account_key, openid=openid)
    return {"cases": cases, "reply": service.progress_text(cases)}


async def service_references(**_: Any) -> dict[str, list[str]]:
    """The case types that are public legal services (the catalogue must have an entry for each)."""
    return {"事项类型": service.service_case_types()}
