"""Jobs of the cases domain: deadline warnings ("cases.remind"), result delivery
("cases.deliver_result"), and the schedule that checks deadlines (the chat-log purge is
residents.purge_chat, which cases joins through ``residents.retention_due``).

"cases.first_response" records when a queued staff message reached the resident.

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

from app.cases import service
from app.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseReminder
from app.config import get_settings
from app.core import calendar, metrics
from app.core.actor import Role
from app.core.clock import to_local, utcnow
from app.jobs import service as jobs
from app.staff import service as staff_service

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


async def _recipients(case: Case) -> list[int]:
    ids: list[int] = []
    if case.owner_id is not None:
        ids.append(case.owner_id)
        supervisor = await staff_service.supervisor_of(case.owner_id)
        if supervisor is not None:
            ids.append(supervisor)
    else:  # nobody took it yet: the township's staff
        ids += [s.id for s in await staff_service.active_staff(role=Role.TOWNSHIP_STAFF, unit_code=case.township_code)]
    return ids


@jobs.register("cases.remind")
async def remind(payload: dict[str, Any]) -> None:
    """Write the warning for the owner and their supervisor (shown in the console's reminders)."""
    case = await Case.get_or_none(id=payload["case_id"])
    if case is None or case.status not in OPEN_STATUSES or case.deadline_at is None:
        return
    deadline = datetime.fromisoformat(payload["deadline"])
    if abs((case.deadline_at - deadline).total_seconds()) > 1:
        return  # the deadline moved since: the new one gets its own warnings
    try:
        await CaseReminder.create(case_id=case.id, threshold=payload["threshold"], staff_ids=await _recipients(case),
                                  deadline_at=case.deadline_at, at=utcnow())
    except IntegrityError:
        return
    await CaseEvent.create(case_id=case.id, action="remind", actor_name="系统", at=utcnow(),
                           detail={"threshold": payload["threshold"]})
    log.info("case %s warned: %s", case.number, payload["threshold"])


@jobs.register("cases.deliver_result")
async def deliver_result(payload: dict[str, Any]) -> None:
    """Send a case's result to the resident and record the outcome on the case."""
    await service.deliver_result(case_id=int(payload["case_id"]))


@jobs.register("cases.first_response")
async def first_response(payload: dict[str, Any]) -> None:
    """A queued staff message reached the resident (app.wechat.delivery's on_delivered): 首次响应."""
    await service.record_first_response(case_id=int(payload["case_id"]),
                                        at=datetime.fromisoformat(payload["delivered_at"]))


async def _check() -> None:
    await check_deadlines()


def _interval() -> float:
    return float(get_settings().reminder_interval_seconds)


# The interval is read from the settings at start-up (wiring.schedules()), not at import.
SCHEDULES: list[tuple[str, Any, Any]] = [
    ("cases.check_deadlines", _interval, _check),
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
