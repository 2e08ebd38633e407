"""Staff alerts (提醒): who hears of a case, the console's unread alerts, and WeChat template messages
to staff who allowed them.

Every alert has a recipient: the owner; else the staff of the case's unit; else (a district-level
case nobody covers) the district's duty staff (``case_duty_usernames``, default every district
admin). Urgent cases also reach the duty staff at once; escalations go to the unit lead (the
owner's supervisor). An alert is one ``CaseNotice`` row per recipient, once per ``key``.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError

from app.cases.models import Case, CaseNotice, StaffAlertChannel
from app.config import get_settings
from app.core import metrics
from app.core.actor import SYSTEM, Role
from app.core.clock import utcnow
from app.jobs import service as jobs
from app.org import service as org_service
from app.staff import service as staff_service
from app.wechat.client import get_client
from app.wechat.errors import WeChatAPIError

log = logging.getLogger("fawu.cases.notices")

KIND_ZH = {"new": "新案件", "urgent": "紧急案件", "message": "居民新消息", "due_soon": "即将到期",
           "overdue": "已超期", "escalate": "超期督办", "delivery": "送达失败", "transfer": "转办待接收"}
# alerts that also go out as a WeChat template message to staff who allowed it
PUSHED = frozenset({"urgent", "escalate", "overdue"})


async def _staff() -> list[Any]:
    return [s for s in await staff_service.list_staff(actor=SYSTEM) if s.role != Role.SUPERVISOR]


async def unit_staff(case: Case) -> list[int]:
    """Active staff whose units cover the case's community or township (no supervisors)."""
    unit = case.community_code or case.township_code
    if unit is None:
        return []
    out: list[int] = []
    for s in await _staff():
        scope = await org_service.scope_for(list(s.unit_codes or []))
        if scope.all_units:
            continue  # the district hears through the duty role, not every case
        if scope.allows(case.community_code) or scope.allows(case.township_code):
            out.append(s.id)
    return out


async def duty_staff() -> list[int]:
    """The district's duty role (值班): ``case_duty_usernames``, else every district admin."""
    names = set(get_settings().case_duty_usernames)
    staff = await _staff()
    if names:
        return [s.id for s in staff if s.username in names]
    return [s.id for s in staff if s.role == Role.DISTRICT_ADMIN]


async def recipients(case: Case) -> list[int]:
    """Who hears of this case: the owner, else the unit's staff, else the duty role. Never empty
    while anyone is on duty."""
    if case.owner_id is not None:
        return [case.owner_id]
    return await unit_staff(case) or await duty_staff()


async def unit_lead(case: Case, *, fallback: bool = True) -> list[int]:
    """The unit lead: the owner's supervisor, else (``fallback``, for an escalation) the duty role."""
    if case.owner_id is not None:
        lead = await staff_service.supervisor_of(case.owner_id)
        if lead is not None:
            return [lead]
    return await duty_staff() if fallback else []


async def notify(case: Case, kind: str, *, staff_ids: list[int], key: str, text: str = "",
                 conn: Any = None) -> list[int]:
    """One alert per recipient (once per key); urgent ones also queue a WeChat template message.
    Returns who got a new alert."""
    now = utcnow()
    text = text or f"{KIND_ZH.get(kind, kind)}：{case.number}"
    fresh: list[int] = []
    for sid in dict.fromkeys(staff_ids):
        if await CaseNotice.filter(staff_id=sid, key=key).using_db(conn).exists():
            continue
        try:
            await CaseNotice.create(case_id=case.id, staff_id=sid, kind=kind, key=key[:64], text=text[:200], at=now,
                                    using_db=conn)
        except IntegrityError:
            continue
        fresh.append(sid)
    if fresh and kind in PUSHED:
        await jobs.enqueue("cases.push_alert", {"case_id": case.id, "kind": kind, "staff_ids": fresh},
                           dedupe_key=f"cases.push_alert:{key}"[:120])
    return fresh


async def notify_opened(case: Case, *, conn: Any = None) -> None:
    """A new case: its unit (or the duty role) hears of it; an urgent one reaches the duty role too."""
    who = await recipients(case)
    await notify(case, "new", staff_ids=who, key=f"new:{case.id}", text=f"新案件 {case.number}", conn=conn)
    if case.urgent:
        await notify_urgent(case, conn=conn)


async def notify_urgent(case: Case, *, conn: Any = None) -> None:
    who = await recipients(case)
    if case.owner_id is not None:
        who = who + await unit_staff(case)
    who = who + await duty_staff()
    await notify(case, "urgent", staff_ids=who, key=f"urgent:{case.id}", text=f"紧急案件 {case.number}，请立即处理",
                 conn=conn)


async def unread_for(*, staff_id: int, limit: int = 20, clearance: int = 3) -> list[CaseNotice]:
    """Alerts not yet acknowledged by this staff member, urgent first, newest first (only of cases
    whose security label is within their clearance)."""
    rows = await CaseNotice.filter(staff_id=staff_id, acked_at__isnull=True,
                                   case__security_level__lte=clearance).order_by("-at", "-id").limit(
        limit).prefetch_related("case")
    return sorted(rows, key=lambda n: n.kind not in ("urgent", "escalate"))


async def count_unread(*, staff_id: int) -> dict[str, int]:
    """Counts for the console's title and banner: all unacknowledged alerts, and the urgent ones."""
    total = await CaseNotice.filter(staff_id=staff_id, acked_at__isnull=True).count()
    urgent = await CaseNotice.filter(staff_id=staff_id, acked_at__isnull=True, kind__in=["urgent", "escalate"]).count()
    return {"total": total, "urgent": urgent}


async def mark_read(*, staff_id: int, case_id: int) -> int:
    """Opening a case reads its alerts for this staff member."""
    return await CaseNotice.filter(staff_id=staff_id, case_id=case_id, read_at__isnull=True).update(read_at=utcnow())


async def acknowledge(*, staff_id: int, notice_id: int | None = None) -> int:
    """Acknowledge one alert (知道了), or every alert of this staff member when ``notice_id`` is None."""
    qs = CaseNotice.filter(staff_id=staff_id, acked_at__isnull=True)
    if notice_id is not None:
        qs = qs.filter(id=notice_id)
    now = utcnow()
    n = await qs.filter(read_at__isnull=True).update(read_at=now, acked_at=now)
    return n + await qs.update(acked_at=now)


# --- WeChat alerts for staff ------------------------------------------------------------------

async def push_alert(*, case_id: int, kind: str, staff_ids: list[int]) -> int:
    """Send the template message to every recipient who allowed WeChat alerts; returns how many went."""
    case = await Case.get_or_none(id=case_id)
    if case is None:
        return 0
    settings = get_settings()
    sent = 0
    for ch in await StaffAlertChannel.filter(staff_id__in=staff_ids):
        data = {"thing1": {"value": KIND_ZH.get(kind, kind)[:20]}, "character_string2": {"value": case.number},
                "time3": {"value": utcnow().strftime("%Y-%m-%d %H:%M")}}
        try:
            await get_client().send_template(ch.account_key, ch.openid, settings.case_alert_template_id, data,
                                             url=f"{settings.public_base_url.rstrip('/')}/console/cases/{case.id}")
            sent += 1
        except WeChatAPIError:  # refused (unfollowed, template removed): the console alert stands
            metrics.caught("cases.push_alert", log, "alert for case %s to staff %s refused", case.number,
                           ch.staff_id, level=logging.WARNING)
    return sent


async def allow_wechat_alerts(*, staff_id: int, account_key: str, openid: str) -> StaffAlertChannel:
    """A staff member allowed alerts on this follower (by sending their code to the account)."""
    row = await StaffAlertChannel.get_or_none(staff_id=staff_id)
    if row is None:
        return await StaffAlertChannel.create(staff_id=staff_id, account_key=account_key, openid=openid,
                                              allowed_at=utcnow())
    row.account_key, row.openid, row.allowed_at = account_key, openid, utcnow()
    await row.save()
    return row


async def stop_wechat_alerts(*, staff_id: int) -> int:
    return await StaffAlertChannel.filter(staff_id=staff_id).delete()


async def wechat_alerts_of(*, staff_id: int) -> StaffAlertChannel | None:
    return await StaffAlertChannel.get_or_none(staff_id=staff_id)
