"""Slots are computed, never stored one by one: weekly sessions per provider and point, the official
calendar (holidays, make-up working days 调休), one-off closures and extra sessions, minimum notice,
maximum days ahead and buffers. Pure functions over plain values: the list the resident sees and the
check the write path makes are the same function (``offered``), so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.core.clock import LOCAL_TZ


@dataclass(frozen=True)
class Session:
    """A weekly session of one provider at one point for one service (weekday 0 = Monday)."""

    point: str
    service: str
    weekday: int
    start: time
    end: time
    capacity: int = 1
    provider: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class Closure:
    """A point closed on a day (whole day when start/end are None), for one service or all ("")."""

    point: str
    day: date
    start: time | None = None
    end: time | None = None
    service: str = ""


@dataclass(frozen=True)
class Extra:
    """A one-off extra session (also on a holiday or weekend)."""

    point: str
    service: str
    day: date
    start: time
    end: time
    capacity: int = 1
    provider: str = ""


@dataclass(frozen=True)
class Rules:
    duration: int = 30  # minutes of one appointment
    buffer: int = 0  # minutes between two appointments
    min_notice: int = 120  # minutes between now and the start of a bookable slot
    max_days: int = 14  # the last bookable local day is today + max_days
    makeup_weekday: int = 0  # a make-up working weekend day (调休) runs this weekday's plan


@dataclass(frozen=True)
class Slot:
    point: str
    service: str
    starts_at: datetime  # aware UTC
    ends_at: datetime
    capacity: int
    providers: tuple[str, ...] = ()
    provisional: bool = False  # the day's calendar is not official yet

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(LOCAL_TZ)


DayJudge = Callable[[date], tuple[bool, bool]]  # (is a working day, provisional)


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=LOCAL_TZ).astimezone(UTC)


def _steps(start: time, end: time, rules: Rules) -> list[tuple[time, time]]:
    out: list[tuple[time, time]] = []
    base = datetime(2000, 1, 1)
    cur = base.replace(hour=start.hour, minute=start.minute)
    stop = base.replace(hour=end.hour, minute=end.minute)
    step = timedelta(minutes=rules.duration + rules.buffer)
    length = timedelta(minutes=rules.duration)
    while cur + length <= stop:
        out.append((cur.time(), (cur + length).time()))
        cur += step
    return out


def _closed(closures: Iterable[Closure], point: str, service: str, day: date, start: time, end: time) -> bool:
    for c in closures:
        if c.point != point or c.day != day or (c.service and c.service != service):
            continue
        if c.start is None or c.end is None or (start < c.end and c.start < end):
            return True
    return False


def day_slots(*, day: date, point: str, service: str, sessions: Iterable[Session], closures: Iterable[Closure],
              extras: Iterable[Extra], rules: Rules, judge: DayJudge) -> list[Slot]:
    """Every slot of one local day (no clock rules applied): capacity summed over the providers."""
    workday, provisional = judge(day)
    plan_weekday = day.weekday() if day.weekday() < 5 else rules.makeup_weekday
    caps: dict[tuple[time, time], list[tuple[int, str]]] = {}
    closures = list(closures)
    if workday:
        for s in sessions:
            if s.point != point or s.service != service or s.weekday != plan_weekday or s.capacity <= 0:
                continue
            if (s.valid_from and day < s.valid_from) or (s.valid_until and day > s.valid_until):
                continue
            for a, b in _steps(s.start, s.end, rules):
                caps.setdefault((a, b), []).append((s.capacity, s.provider))
    for e in extras:
        if e.point == point and e.service == service and e.day == day and e.capacity > 0:
            for a, b in _steps(e.start, e.end, rules):
                caps.setdefault((a, b), []).append((e.capacity, e.provider))
    out: list[Slot] = []
    for (a, b), parts in sorted(caps.items()):
        if _closed(closures, point, service, day, a, b):
            continue
        out.append(Slot(point=point, service=service, starts_at=_at(day, a), ends_at=_at(day, b),
                        capacity=sum(c for c, _ in parts), providers=tuple(sorted({p for _, p in parts if p})),
                        provisional=provisional and workday))
    return out


def window(now: datetime, rules: Rules) -> tuple[datetime, date]:
    """(the earliest bookable start, the last bookable local day) at ``now``."""
    today = now.astimezone(LOCAL_TZ).date()
    return now + timedelta(minutes=rules.min_notice), today + timedelta(days=rules.max_days)


def listing(*, now: datetime, point: str, service: str, sessions: Iterable[Session], closures: Iterable[Closure],
            extras: Iterable[Extra], rules: Rules, judge: DayJudge, days: Iterable[date] | None = None) -> list[Slot]:
    """The slots a resident may book at ``now`` (on ``days``, default every day of the window)."""
    earliest, last = window(now, rules)
    sessions, closures, extras = list(sessions), list(closures), list(extras)
    if days is None:
        first = now.astimezone(LOCAL_TZ).date()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    out: list[Slot] = []
    for d in days:
        if d > last:
            continue
        for s in day_slots(day=d, point=point, service=service, sessions=sessions, closures=closures,
                           extras=extras, rules=rules, judge=judge):
            if s.starts_at >= earliest:
                out.append(s)
    return out


def offered(*, now: datetime, point: str, service: str, starts_at: datetime, sessions: Iterable[Session],
            closures: Iterable[Closure], extras: Iterable[Extra], rules: Rules, judge: DayJudge) -> Slot | None:
    """The write path's check: the slot starting at ``starts_at`` if the listing offers it, else None."""
    day = starts_at.astimezone(LOCAL_TZ).date()
    for s in listing(now=now, point=point, service=service, sessions=sessions, closures=closures, extras=extras,
                     rules=rules, judge=judge, days=[day]):
        if s.starts_at == starts_at:
            return s
    return None


def parse_hhmm(value: str) -> time:
    """"09:00" → time(9, 0); ValueError with a Chinese message otherwise."""
    try:
        h, m = value.strip().replace("：", ":").split(":")
        return time(int(h), int(m))
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"时间“{value}”格式不对，应为 时:分，如 09:00") from exc
