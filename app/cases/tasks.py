"""Jobs of the cases domain: deadline warnings ("cases.remind"), result delivery
("cases.deliver_result"), and the schedule that checks deadlines (the chat-log purge is
residents.purge_chat, which cases joins through ``residents.retention_due``).

"cases.delivered" records how a queued staff message or result ended (sent, expired, failed);
"cases.push_alert" sends staff alerts as WeChat template messages.

A warning is enqueued with a dedupe key per (case, threshold, deadline), so however many runners
check at once and however often they restart, each threshold is warned exactly once; and only
during working hours (a working day of the calendar, inside ``settings.staff_hours`` times).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.cases import notices, service
from app.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseReminder
from app.config import get_settings
from app.core import calendar, metrics
from app.core.clock import to_local, utcnow
from app.jobs import service as jobs

log = logging.getLogger("fawu.cases.tasks")


def _windows(spec: str) -> list[tuple[time, time]]:
    """The time windows of ``staff_hours`` ("mon-fri 08:30-12:00,14:00-17:30"); the day part is left
    to the working-day calendar (make-up weekends are working days)."""
    out = []
    for a, b in re.findall(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})", spec):
        out.append((time.fromisoformat(a.zfill(5)), time.fromisoformat(b.zfill(5))))
    return out or [(time(8, 30), time(17, 30))]


def in_working_hours(now: datetime | None = None) -> bool:
    """True on a working day of the calendar inside the staff hours (Asia/Shanghai)."""
    local = to_local(now or utcnow())
    if not calendar.is_workday(local.date()):
        return False
    t = local.time()
    return any(a <= t < b for a, b in _windows(get_settings().staff_hours))


def _dedupe(case_id: int, threshold: str, deadline: datetime) -> str:
    return f"cases.remind:{case_id}:{threshold}:{int(deadline.timestamp())}"


async def check_deadlines(now: datetime | None = None) -> int:
    """Enqueue a warning for every open case past a threshold (due soon, overdue) not warned yet."""
    now = now or utcnow()
    if not in_working_hours(now):
        return 0
    soon = now + timedelta(hours=get_settings().case_due_soon_hours)
    rows = await Case.filter(
        Q(status__in=list(OPEN_STATUSES)), Q(paused=False), Q(deadline_at__isnull=False),
        Q(Q(deadline_at__lte=soon, due_soon_warned_at__isnull=True),
          Q(deadline_at__lte=now, overdue_warned_at__isnull=True), join_type="OR"),
    ).limit(500)
    n = 0
    for case in rows:
        assert case.deadline_at is not None
        threshold = "overdue" if case.deadline_at <= now else "due_soon"
        job = await jobs.enqueue("cases.remind", {"case_id": case.id, "threshold": threshold,
                                                  "deadline": case.deadline_at.isoformat()},
                                 dedupe_key=_dedupe(case.id, threshold, case.deadline_at))
        n += job is not None
        marks: dict[str, Any] = {"due_soon_warned_at": now}
        if threshold == "overdue":
            marks["overdue_warned_at"] = now
        # only while the deadline is the one warned about (a recompute clears the marks)
        await Case.filter(id=case.id, deadline_at=case.deadline_at).update(
            **{k: v for k, v in marks.items() if getattr(case, k) is None})
    return n


@jobs.register("cases.remind")
async def remind(payload: dict[str, Any]) -> None:
    """Write the warning (once per case, threshold and deadline) and alert its recipients: the owner
    (else the unit's staff, else the district's duty role); an overdue case is also escalated to the
    unit lead (督办)."""
    case = await Case.get_or_none(id=payload["case_id"])
    if case is None or case.status not in OPEN_STATUSES or case.deadline_at is None:
        return
    deadline = datetime.fromisoformat(payload["deadline"])
    if abs((case.deadline_at - deadline).total_seconds()) > 1:
        return  # the deadline moved since: the new one gets its own warnings
    threshold = payload["threshold"]
    who = await notices.recipients(case)
    lead = await notices.unit_lead(case, fallback=threshold == "overdue")
    stamp = int(case.deadline_at.timestamp())
    try:
        async with in_transaction() as conn:
            await CaseReminder.create(case_id=case.id, threshold=threshold, staff_ids=list(dict.fromkeys(who + lead)),
                                      deadline_at=case.deadline_at, at=utcnow(), using_db=conn)
            await CaseEvent.create(case_id=case.id, action="remind", actor_name="系统", at=utcnow(),
                                   detail={"threshold": threshold, "staff_ids": who}, using_db=conn)
            label = "已超期" if threshold == "overdue" else "即将到期"
            await notices.notify(case, threshold, staff_ids=who + lead, key=f"{threshold}:{case.id}:{stamp}",
                                 text=f"{case.number} {label}", conn=conn)
            if lead and threshold == "overdue":
                await CaseEvent.create(case_id=case.id, action="escalate", actor_name="系统", at=utcnow(),
                                       detail={"staff_ids": lead}, using_db=conn)
                await notices.notify(case, "escalate", staff_ids=lead, key=f"escalate:{case.id}:{stamp}",
                                     text=f"{case.number} 已超期，请督办", conn=conn)
    except IntegrityError:
        return
    log.info("case %s warned: %s", case.number, threshold)


@jobs.register("cases.deliver_result")
async def deliver_result(payload: dict[str, Any]) -> None:
    """Send a case's result to the resident and record the outcome on the case."""
    await service.deliver_result(case_id=int(payload["case_id"]))


@jobs.register("cases.delivered")
async def delivered(payload: dict[str, Any]) -> None:
    """A queued staff message or result ended (app.wechat.delivery's on_delivered hook): record the
    outcome ("sent" unless the payload says "expired"/"failed" with a reason) and the first response."""
    at = payload.get("delivered_at") or payload.get("at")
    mid = payload.get("message_id")
    await service.delivery_outcome(case_id=int(payload["case_id"]), message_id=int(mid) if mid else None,
                                   result=bool(payload.get("result")), outcome=str(payload.get("outcome") or "sent"),
                                   reason=str(payload.get("reason") or ""),
                                   at=datetime.fromisoformat(at) if at else None)


@jobs.register("cases.first_response")
async def first_response(payload: dict[str, Any]) -> None:
    """Older queued messages (before ``cases.delivered``): the first response when they went out."""
    await service.record_first_response(case_id=int(payload["case_id"]),
                                        at=datetime.fromisoformat(payload["delivered_at"]))


@jobs.register("cases.push_alert")
async def push_alert(payload: dict[str, Any]) -> None:
    """WeChat template messages for an urgent case or an escalation, to staff who allowed them."""
    await notices.push_alert(case_id=int(payload["case_id"]), kind=str(payload["kind"]),
                             staff_ids=[int(i) for i in payload.get("staff_ids") or []])


async def _check() -> None:
    await check_deadlines()


def _interval() -> float:
    return float(get_settings().reminder_interval_seconds)


async def _refresh() -> None:
    await service.refresh_deliveries()


# The interval is read from the settings at start-up (wiring.schedules()), not at import.
SCHEDULES: list[tuple[str, Any, Any]] = [
    ("cases.check_deadlines", _interval, _check),
    ("cases.refresh_deliveries", 120.0, _refresh),  # failed/expired answers shown on the case
]


async def on_startup() -> None:
    """Start-up: load the calendar file, warn when the next 60 days are not covered, and recompute
    open deadlines that were provisional or whose limit changed."""
    calendar.check_at_startup()
    try:
        n = await service.recompute_open_deadlines(stale_only=True)
    except Exception:  # no database yet (some CLI paths): deadlines are recomputed on the next change
        metrics.caught("cases.startup", log, "could not recompute stale deadlines at start-up")
        return
    if n:
        log.info("recomputed %s stale case deadlines", n)
