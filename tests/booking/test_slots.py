"""Slots (pure): B3 write-time parity against a brute-force reference over thousands of random
schedules, calendars, clocks and requests; B4 the official calendar for every date of 2024–2026."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from app.booking import slots
from app.booking.service.catalog import judge as official
from app.core.clock import LOCAL_TZ

P, S = "SP-X", "svc"


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def reference_capacity(at: datetime, *, now: datetime, sessions: list[slots.Session], closures: list[slots.Closure],
                       extras: list[slots.Extra], rules: slots.Rules, judge: slots.DayJudge) -> int:
    """What a slot starting at ``at`` may hold by the rules, checked one by one (0: not bookable)."""
    local = at.astimezone(LOCAL_TZ)
    day, t = local.date(), _minutes(local.time())
    if at < now + timedelta(minutes=rules.min_notice):
        return 0
    if day > now.astimezone(LOCAL_TZ).date() + timedelta(days=rules.max_days):
        return 0
    step, dur = rules.duration + rules.buffer, rules.duration
    workday = judge(day)[0]
    plan_weekday = day.weekday() if day.weekday() < 5 else rules.makeup_weekday
    cap = 0
    spans = []
    if workday:
        spans += [(s.start, s.end, s.capacity) for s in sessions if s.weekday == plan_weekday and s.capacity > 0
                  and not (s.valid_from and day < s.valid_from) and not (s.valid_until and day > s.valid_until)]
    spans += [(e.start, e.end, e.capacity) for e in extras if e.day == day and e.capacity > 0]
    for a, b, c in spans:
        off = t - _minutes(a)
        if off >= 0 and off % step == 0 and t + dur <= _minutes(b):
            cap += c
    if cap == 0:
        return 0
    for c in closures:
        if c.day != day:
            continue
        if c.start is None or c.end is None or (t < _minutes(c.end) and _minutes(c.start) < t + dur):
            return 0
    return cap


def _t(rng: random.Random, lo: int = 7 * 60, hi: int = 19 * 60) -> time:
    m = rng.randrange(lo, hi, 5)
    return time(m // 60, m % 60)


def random_case(rng: random.Random) -> dict[str, object]:
    today = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 330))
    now = datetime.combine(today, _t(rng, 0, 24 * 60), tzinfo=LOCAL_TZ).astimezone(UTC)
    rules = slots.Rules(duration=rng.choice([15, 20, 30, 45, 60]), buffer=rng.choice([0, 0, 5, 10, 15]),
                        min_notice=rng.choice([0, 30, 120, 24 * 60]), max_days=rng.choice([1, 2, 3, 7]),
                        makeup_weekday=rng.randrange(5))
    sessions = []
    for _ in range(rng.randrange(0, 6)):
        a = _t(rng)
        b = (datetime.combine(today, a) + timedelta(minutes=rng.randrange(10, 300, 5))).time()
        if b <= a:
            continue
        vf = today + timedelta(days=rng.randrange(-3, 6)) if rng.random() < 0.2 else None
        vu = today + timedelta(days=rng.randrange(0, 12)) if rng.random() < 0.2 else None
        sessions.append(slots.Session(P, S, rng.randrange(7), a, b, rng.randrange(0, 4), "p", vf, vu))
    days = [today + timedelta(days=i) for i in range(rules.max_days + 2)]
    closures = []
    for _ in range(rng.randrange(0, 3)):
        d = rng.choice(days)
        if rng.random() < 0.5:
            closures.append(slots.Closure(P, d))
        else:
            a = _t(rng)
            b = (datetime.combine(d, a) + timedelta(minutes=rng.randrange(5, 180, 5))).time()
            if b > a:
                closures.append(slots.Closure(P, d, a, b))
    extras = []
    for _ in range(rng.randrange(0, 3)):
        a = _t(rng)
        b = (datetime.combine(today, a) + timedelta(minutes=rng.randrange(15, 200, 5))).time()
        if b > a:
            extras.append(slots.Extra(P, S, rng.choice(days), a, b, rng.randrange(1, 3)))
    holidays = {d for d in days if rng.random() < 0.15}
    makeups = {d for d in days if d.weekday() >= 5 and rng.random() < 0.3}

    def judge(d: date) -> tuple[bool, bool]:
        if d in holidays:
            return False, False
        return (d.weekday() < 5 or d in makeups), False

    return {"now": now, "rules": rules, "sessions": sessions, "closures": closures, "extras": extras,
            "judge": judge, "days": days}


def test_write_path_accepts_exactly_the_slots_the_list_offers() -> None:
    """B3: 1000 random schedules, calendars and clocks. Every 5-minute start from 07:00 to 24:00 of their
    days (and odd minutes) is judged by a brute-force reference; the list offers exactly the starts the
    reference accepts, with the same capacity, and the write path's check (``offered``) accepts exactly
    the listed ones."""
    rng = random.Random(20261207)
    checked = offered_total = 0
    for _ in range(1000):
        c = random_case(rng)
        kw = {k: c[k] for k in ("sessions", "closures", "extras", "rules", "judge")}
        listed = {s.starts_at: s.capacity for s in slots.listing(now=c["now"], point=P, service=S, **kw)}  # type: ignore[arg-type]
        offered_total += len(listed)
        grid = [datetime.combine(d, time(7), tzinfo=LOCAL_TZ).astimezone(UTC) + timedelta(minutes=m)
                for d in c["days"] for m in range(0, 17 * 60, 5)]  # type: ignore[attr-defined]
        odd = [g + timedelta(minutes=rng.randrange(1, 5)) for g in rng.sample(grid, 20)]
        for at in grid + odd:
            ref = reference_capacity(at, now=c["now"], **kw)  # type: ignore[arg-type]
            assert listed.get(at, 0) == ref, (at, c)
            checked += 1
        # the write path's own check: every listed start, plus a sample of the refused ones
        for at in list(listed) + rng.sample(grid + odd, 10):
            accepted = slots.offered(now=c["now"], point=P, service=S, starts_at=at, **kw)  # type: ignore[arg-type]
            assert (accepted.capacity if accepted else 0) == listed.get(at, 0), (at, c)
    assert checked > 500_000 and offered_total > 3_000, (checked, offered_total)


def test_official_calendar_every_date_of_2024_to_2026() -> None:
    """B4: a weekday plan gives slots exactly on the official working days (make-up Sundays included)."""
    sessions = [slots.Session(P, S, wd, time(9), time(11, 30), 1) for wd in range(5)]
    rules = slots.Rules(duration=30)
    d, mismatches, days = date(2024, 1, 1), [], 0
    while d <= date(2026, 12, 31):
        open_ = bool(slots.day_slots(day=d, point=P, service=S, sessions=sessions, closures=[], extras=[],
                                     rules=rules, judge=official))
        if open_ != chinese_calendar.is_workday(d):
            mismatches.append(d)
        d += timedelta(days=1)
        days += 1
    assert days == 1096 and mismatches == []
    for d in (date(2025, 1, 26), date(2025, 9, 28)):  # make-up Sundays: open, Monday's plan
        assert d.weekday() == 6
        assert slots.day_slots(day=d, point=P, service=S, sessions=sessions, closures=[], extras=[], rules=rules,
                               judge=official)
    for i in range(8):  # National Day and Mid-Autumn 2025
        d = date(2025, 10, 1) + timedelta(days=i)
        assert not slots.day_slots(day=d, point=P, service=S, sessions=sessions, closures=[], extras=[],
                                   rules=rules, judge=official)


def test_uncovered_year_is_provisional_not_guessed() -> None:
    sessions = [slots.Session(P, S, wd, time(9), time(10), 1) for wd in range(5)]
    day = date(2027, 3, 2)  # a Tuesday of a year the official data does not cover yet
    got = slots.day_slots(day=day, point=P, service=S, sessions=sessions, closures=[], extras=[],
                          rules=slots.Rules(), judge=official)
    assert got and all(s.provisional for s in got)
    assert not slots.day_slots(day=date(2027, 10, 1), point=P, service=S, sessions=sessions, closures=[],
                               extras=[], rules=slots.Rules(), judge=official)  # 国庆 is derivable: closed
