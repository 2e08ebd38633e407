"""Small helpers of the survey tests: a case whose result reached the resident, staff of a township."""

from __future__ import annotations

from typing import Any

from app.cases import service as cases_service
from app.staff.service import actor_for
from tests.factories import make_staff


async def clerk_and_lead(unit: str = "YXJD", suffix: str = "") -> tuple[Any, Any]:
    """(clerk actor, lead row): the clerk's supervisor is the lead."""
    lead = await make_staff(username=f"lead{unit}{suffix}", name="赵站长", unit_codes=[unit], password=None)
    clerk = await make_staff(username=f"clerk{unit}{suffix}", name="李四", unit_codes=[unit], supervisor_id=lead.id,
                             password=None)
    return await actor_for(clerk), lead


async def finished_case(clerk: Any, *, account_key: str | None, openid: str | None, unit: str = "YXJD",
                        resident_id: int | None = None, told: str | None = None, type: str = "consultation") -> Any:
    """A case opened, taken and given its result by ``clerk`` (told in person, or sent on WeChat)."""
    case = await cases_service.open_case(type=type, resident_id=resident_id, channel="wechat", summary="欠薪咨询",
                                         township_code=unit, account_key=account_key, openid=openid)
    await cases_service.take(actor=clerk, case_id=case.id)
    await cases_service.give_result(actor=clerk, case_id=case.id, text="已答复：可申请劳动仲裁。", told=told)
    return case
