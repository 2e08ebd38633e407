"""What the mini-program does when another domain's event happens."""

from __future__ import annotations

from typing import Any

from app.jobs import service as jobs
from app.mp_api import service


async def end_sessions(*, resident_id: int, **_: Any) -> dict[str, int]:
    """A resident erased: their sessions end and what they allowed for subscribe messages goes."""
    return {"mp_sessions": await service.erase_resident(resident_id=resident_id)}


async def result_given(*, case_id: int, number: str, channel: str, resident_id: int | None, result: str,
                       at: str, **_: Any) -> None:
    """A case opened in the mini-program got its result: job ``mp.notify`` sends the subscribe message
    (after the commit, retried by the outbox), if the resident allowed one."""
    if channel != "miniprogram" or resident_id is None:
        return
    await jobs.enqueue("mp.notify", {"resident_id": resident_id, "moment": "case_result",
                                     "data": service.case_result_data(number=number, result=result, at=at),
                                     "page": f"pages/case/index?number={number}"},
                       dedupe_key=f"mp.notify:case_result:{case_id}:{at}"[:128])


async def export_resident(*, resident_id: int, **_: Any) -> dict[str, Any]:
    """The resident's access request: their mini-program logins and subscribe-message answers."""
    return {"miniprogram": await service.export_resident(resident_id=resident_id)}


async def booking_reminder_allowed(*, resident_id: int, **_: Any) -> bool:
    """booking.reminder_channels_requested: may the booking reminder go as the mini-program's subscribe message?"""
    return await service.allows(resident_id=resident_id, moment="booking_reminder")


async def booking_reminder_due(*, resident_id: int, data: dict[str, str], page: str | None = None,
                               **_: Any) -> str:
    """booking.reminder_due: the reminder as the subscribe message the resident allowed ("sent", or why not)."""
    return await service.notify(resident_id=resident_id, moment="booking_reminder", data=data, page=page)


async def survey_invitation_due(*, resident_id: int, data: dict[str, str], page: str | None = None, **_: Any) -> str:
    """surveys.invitation_due: a mini-program-only resident's rating invitation as the subscribe message
    they allowed ("sent", or why not)."""
    return await service.notify(resident_id=resident_id, moment="survey_invitation", data=data, page=page)
