"""Case deadlines (限时办结): the limit per type, pauses derived from the history, recomputation.

A deadline is always recomputed from scratch: the clock start (opening or last reopening), the
type's limit (``settings.case_limits``: "7d", "15wd", "1m", "4h"; ``case_urgent_limits`` for urgent
cases) and the pauses read from the append-only history (entering and leaving ``waiting_info``, to
the second). Days and months count as 民法典 arts. 200–203 say: the first day is not counted, a month
ends on the corresponding day (the month's last day when there is none), at 24:00, and an end on a
statutory holiday or rest day moves to the next working day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.cases.states import OPEN_STATUSES, CaseStatus
from app.config import get_settings
from app.core import calendar
from app.core.clock import LOCAL_TZ, utcnow

WAITING = CaseStatus.WAITING_INFO


def limit_for(case_type: str, *, urgent: bool = False, service_limit: str = "") -> str:
    """The limit of a case ("7d", "15wd", "1m", "4h"): the shorter urgent one (``case_urgent_limits``,
    in hours) for an urgent case; else the catalogue's time limit (办理时限) the case was opened under
    (``service_limit``); else the configured one for its type (``case_limits``)."""
    settings = get_settings()
    if urgent:
        fast = settings.case_urgent_limits
        chosen = fast.get(case_type) or fast.get("other")
        if chosen:
            return chosen
    if service_limit and re.fullmatch(r"\d+(d|wd|h|m)", service_limit):
        return service_limit
    limits = settings.case_limits
    return limits.get(case_type) or limits.get("other") or "5wd"


def parse_limit(limit: str) -> tuple[int, str]:
    m = re.fullmatch(r"(\d+)(d|wd|h|m)", limit)
    if not m:
        raise ValueError(f"bad limit {limit!r}")
    return int(m.group(1)), m.group(2)


def pauses_from_events(events: Sequence[Any], since: datetime) -> list[tuple[datetime, datetime | None]]:
    """(start, end) pauses from history rows (with at/from_status/to_status); end None = ongoing."""
    out: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for ev in sorted(events, key=lambda e: (e.at, e.id or 0)):
        if ev.at < since:
            continue
        if ev.to_status == WAITING and ev.from_status != WAITING and start is None:
            start = ev.at
        elif ev.from_status == WAITING and ev.to_status != WAITING and start is not None:
            out.append((start, ev.at))
            start = None
    if start is not None:
        out.append((start, None))
    return out


def _end_of(d: date) -> datetime:
    return datetime.combine(d, calendar.END_OF_DAY, tzinfo=LOCAL_TZ).astimezone(UTC)


def compute(*, start: datetime, limit: str,
            pauses: Sequence[tuple[datetime, datetime | None]] = ()) -> calendar.Deadline | None:
    """The deadline for a clock started at ``start`` with ``pauses``; None while paused."""
    n, unit = parse_limit(limit)
    provisional = False
    if unit == "h":
        at = start + timedelta(hours=n)
        for p, r in pauses:
            if p >= at:
                break
            if r is None:
                return None
            at += r - p
        return calendar.Deadline(at, False)
    if unit == "wd":
        dl = calendar.add_working_days(start, n)
        at, provisional = dl.at, dl.provisional
        for p, r in pauses:
            if p >= at:
                break
            if r is None:
                return None
            remaining = calendar.working_seconds(p, at)
            moved = calendar.add_working_seconds(r, remaining)
            at, provisional = moved.at, provisional or moved.provisional
        return calendar.Deadline(at, provisional)
    # calendar days or months: nominal end at 24:00 of the last day, shifted by pauses, then moved
    # past a holiday
    first = start.astimezone(LOCAL_TZ).date()
    last = calendar.add_months(first, n) if unit == "m" else first + timedelta(days=n)
    nominal = _end_of(last)
    for p, r in pauses:
        if p >= nominal:
            break
        if r is None:
            return None
        nominal += r - p
    local = nominal.astimezone(LOCAL_TZ)
    day, provisional = calendar.move_past_holiday(local.date())
    if day != local.date():
        return calendar.Deadline(_end_of(day), provisional)
    return calendar.Deadline(nominal, provisional)


def due_state(case: Any, now: datetime | None = None) -> str:
    """"paused", "overdue", "due_soon", "ok", or "done" (closed cases) for the console."""
    if case.status not in OPEN_STATUSES:
        return "done"
    if case.paused or case.deadline_at is None:
        return "paused"
    now = now or utcnow()
    if now >= case.deadline_at:
        return "overdue"
    if now >= case.deadline_at - timedelta(hours=get_settings().case_due_soon_hours):
        return "due_soon"
    return "ok"


DUE_ZH = {"paused": "已暂停计时", "overdue": "已超期", "due_soon": "即将到期", "ok": "正常", "done": "已结束"}
