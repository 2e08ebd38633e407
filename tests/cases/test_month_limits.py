"""Limits in calendar months (民法典 arts. 200-203): mediation's one month from acceptance
(人民调解工作若干规定 art. 33) against an independent reference for every start date of 2024-2026
whose end the official calendar covers (1,065 dates), and through a real case."""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest

from app.cases import deadlines
from app.core.clock import LOCAL_TZ


@pytest.fixture(autouse=True)
def _official_calendar() -> Iterator[None]:
    from app.core import calendar

    calendar.load_file(None)
    yield
    calendar.load_file(None)


def _reference_month_end(start: date, months: int) -> date:
    """The corresponding day of the month ``months`` later (its last day when it has none), moved to
    the first working day when it is a day off; written apart from the code under test."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, stdlib_calendar.monthrange(year, month)[1])
    end = date(year, month, day)
    while not chinese_calendar.is_workday(end):
        end += timedelta(days=1)
    return end


def _starts() -> list[date]:
    d, out = date(2024, 1, 1), []
    while d <= date(2026, 11, 30):  # later starts may end in 2027, which the official calendar lacks
        out.append(d)
        d += timedelta(days=1)
    return out


def test_one_month_equals_the_reference_for_every_start_date_2024_2026() -> None:
    starts = _starts()
    assert len(starts) == 1065
    mismatches = []
    for day in starts:
        start = datetime.combine(day, time(10, 0), tzinfo=LOCAL_TZ)
        dl = deadlines.compute(start=start, limit="1m")
        assert dl is not None
        want = _reference_month_end(day, 1)
        got = dl.at.astimezone(LOCAL_TZ)
        if got.date() != want or got.time() < time(23, 59, 59):  # ends at 24:00 of that day
            mismatches.append((day, got, want))
    assert mismatches == []


def test_month_known_examples_and_how_far_thirty_days_were_off() -> None:
    def end(y: int, m: int, d: int, limit: str) -> date:
        dl = deadlines.compute(start=datetime(y, m, d, 10, tzinfo=LOCAL_TZ), limit=limit)
        assert dl is not None
        return dl.at.astimezone(LOCAL_TZ).date()

    assert end(2025, 1, 31, "1m") == date(2025, 2, 28)  # no 31st in February: its last day
    assert end(2024, 1, 31, "1m") == date(2024, 2, 29)  # leap year
    assert end(2025, 3, 15, "1m") == date(2025, 4, 15)
    assert end(2025, 9, 1, "1m") == date(2025, 10, 9)  # 10-01 National Day -> first working day after
    assert end(2025, 8, 31, "2m") == date(2025, 10, 31)
    differ = sum(1 for d in _starts() if end(d.year, d.month, d.day, "1m") != end(d.year, d.month, d.day, "30d"))
    assert differ > 400  # "30 days" was a different deadline for almost half of all start dates


async def test_a_mediation_case_gets_one_month(demo_org: None) -> None:
    from app.cases import service
    from app.core import clock

    clock.freeze(datetime(2025, 1, 31, 10, tzinfo=LOCAL_TZ))
    try:
        case = await service.open_case(type="mediation", resident_id=None, channel="walk_in", summary="邻里纠纷调解",
                                       township_code="YXJD")
    finally:
        clock.freeze(None)
    assert case.time_limit == "1m"
    assert case.deadline_at is not None and case.deadline_at.astimezone(LOCAL_TZ).date() == date(2025, 2, 28)
