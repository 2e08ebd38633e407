"""Staff hours ("mon-fri 08:30-12:00,14:00-17:30"): are people answering now, and when next."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta

from app.core import metrics
from app.core.calendar import is_workday
from app.core.clock import to_local

log = logging.getLogger("fawu.consult.hours")

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def parse_hours(spec: str) -> dict[int, list[tuple[time, time]]]:
    """``mon-fri 08:30-12:00,14:00-17:30; sat 09:00-12:00`` → weekday → [(start, end)]."""
    out: dict[int, list[tuple[time, time]]] = {}
    for group in filter(None, (g.strip() for g in spec.split(";"))):
        m = re.fullmatch(r"([a-z,\-]+)\s+(.+)", group.lower())
        if not m:
            raise ValueError(f"staff_hours: cannot read {group!r}")
        days: set[int] = set()
        for part in m.group(1).split(","):
            if "-" in part:
                a, b = part.split("-", 1)
                i, j = DAYS.index(a), DAYS.index(b)
                days.update(range(i, j + 1))
            else:
                days.add(DAYS.index(part))
        ranges = []
        for r in m.group(2).split(","):
            a, b = r.strip().split("-")
            ranges.append((time.fromisoformat(a), time.fromisoformat(b)))
        for d in days:
            out.setdefault(d, []).extend(ranges)
    return out


def _workday(d: date) -> bool | None:
    try:
        return bool(is_workday(d))
    except Exception:  # outside the calendar's years: the caller says "working days" without a date
        metrics.caught("consult.hours", log, "no working-day data for %s", d, level=logging.DEBUG)
        return None


def is_staff_time(spec: str, now: datetime) -> bool:
    local = to_local(now)
    hours = parse_hours(spec)
    ranges = hours.get(local.weekday(), [])
    if not ranges:
        return False
    if _workday(local.date()) is False and local.weekday() < 5:
        return False  # a weekday holiday
    t = local.time()
    return any(a <= t < b for a, b in ranges)


def next_staff_time(spec: str, now: datetime) -> datetime | None:
    """The next local moment staff are on duty (None when the spec has no hours)."""
    local = to_local(now)
    hours = parse_hours(spec)
    if not hours:
        return None
    for add in range(0, 15):
        day = (local + timedelta(days=add)).date()
        if _workday(day) is False and day.weekday() < 5:
            continue
        for a, _b in sorted(hours.get(day.weekday(), [])):
            start = datetime.combine(day, a, tzinfo=local.tzinfo)
            if start > local:
                return start
    return None


def when_text(spec: str, now: datetime) -> str:
    """When a person will answer, in Chinese."""
    if is_staff_time(spec, now):
        return "工作人员会在工作时间内尽快答复您（一般当天回复）"
    nxt = next_staff_time(spec, now)
    if nxt is None:
        return "工作人员将尽快答复您"
    local = to_local(now)
    day = "今天" if nxt.date() == local.date() else ("明天" if nxt.date() == local.date() + timedelta(days=1)
                                                    else f"{nxt.month}月{nxt.day}日（{DAY_ZH[nxt.weekday()]}）")
    return f"现在是非工作时间，工作人员将于{day} {nxt:%H:%M} 上班后答复您；如有急事请拨打 12348 公共法律服务热线"
