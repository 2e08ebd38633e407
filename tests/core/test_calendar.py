"""The working-day calendar: make-up workdays, holidays, calendar-day periods, uncovered years."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from app.core import calendar
from app.core.clock import LOCAL_TZ


@pytest.fixture(autouse=True)
def _clean_calendar() -> Iterator[None]:
    calendar.load_file(None)
    yield
    calendar.load_file(None)


def local(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=LOCAL_TZ)


def end_of_local_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(UTC)


# --- the reference: an independent brute force over the package's own lists -----------------

def _reference_workdays() -> list[date]:
    days = []
    d = date(2023, 12, 1)
    while d <= date(2026, 12, 31):
        holiday = d in chinese_calendar.holidays
        makeup = d in chinese_calendar.workdays
        if makeup or (d.weekday() < 5 and not holiday):
            days.append(d)
        d += timedelta(days=1)
    return days


REF = _reference_workdays()


def reference_working_deadline(start_local_date: date, n: int) -> date | None:
    """None when the deadline lies beyond the package's data (late December 2026)."""
    i = bisect.bisect_right(REF, start_local_date)  # first working day strictly after the start day
    return REF[i + n - 1] if i + n - 1 < len(REF) else None


def test_make_up_sunday_counts_three_working_days_before_national_day_2025() -> None:
    # Friday 2025-09-26 + 3 working days: Sunday 09-28 is a make-up workday, so 09-30, not 10-09
    dl = calendar.add_working_days(local(2025, 9, 26, 15), 3)
    assert dl.local_date == date(2025, 9, 30)
    assert dl.at == end_of_local_day(date(2025, 9, 30))
    assert not dl.provisional


def test_fifteen_working_days_across_national_day_2025_count_both_make_up_days() -> None:
    # 09-28 (Sun) and 10-11 (Sat) are make-up workdays; 10-01..10-08 are off
    dl = calendar.add_working_days(local(2025, 9, 26), 15)
    assert dl.local_date == date(2025, 10, 23)
    # without counting the make-up days it would be 10-27 (two working days later)
    assert calendar.is_workday(date(2025, 9, 28)) and calendar.is_workday(date(2025, 10, 11))
    assert not calendar.is_workday(date(2025, 10, 8)) and not calendar.is_workday(date(2025, 9, 27))


def test_spring_festival_2026_working_days() -> None:
    # 2026: 02-15..02-23 off; Saturday 02-14 and Saturday 02-28 are make-up workdays
    assert calendar.add_working_days(local(2026, 2, 13), 1).local_date == date(2026, 2, 14)
    assert calendar.add_working_days(local(2026, 2, 13), 2).local_date == date(2026, 2, 24)
    assert calendar.add_working_days(local(2026, 2, 23), 5).local_date == date(2026, 2, 28)


def test_working_days_equal_the_brute_force_reference_for_every_start_hour_2024_2026() -> None:
    mismatches = []
    start = datetime(2024, 1, 1, 0, 0, tzinfo=LOCAL_TZ)
    end = datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL_TZ)
    t = start
    while t < end:
        for n in (1, 3, 7, 15):
            got = calendar.add_working_days(t.astimezone(UTC), n)  # stored times are UTC
            want = reference_working_deadline(t.date(), n)
            if want is None:  # runs into 2027: computed provisionally, and said so
                if not got.provisional:
                    mismatches.append((t, n, got.local_date, "provisional"))
                continue
            if got.at != end_of_local_day(want) or got.provisional:
                mismatches.append((t, n, got.local_date, want))
        t += timedelta(hours=1)
    assert mismatches == []


def _reference_calendar_end(start: date, n: int) -> date:
    d = start + timedelta(days=n)
    while not (d in chinese_calendar.workdays or (d.weekday() < 5 and d not in chinese_calendar.holidays)):
        d += timedelta(days=1)
    return d


FESTIVALS = {  # first day off of Spring Festival and National Day, 2024-2026
    "spring_2024": date(2024, 2, 10), "national_2024": date(2024, 10, 1),
    "spring_2025": date(2025, 1, 28), "national_2025": date(2025, 10, 1),
    "spring_2026": date(2026, 2, 15), "national_2026": date(2026, 10, 1),
}


@pytest.mark.parametrize("name", sorted(FESTIVALS))
def test_calendar_days_around_every_spring_festival_and_national_day(name: str) -> None:
    first_off = FESTIVALS[name]
    assert chinese_calendar.is_holiday(first_off)
    for offset in range(-14, 10):  # start days whose 7-day period ends before, in or after the holiday
        start = first_off + timedelta(days=offset)
        for n in (3, 7, 15):
            dl = calendar.add_calendar_days(local(start.year, start.month, start.day, 9), n)
            assert dl.local_date == _reference_calendar_end(start, n), (start, n)
            assert dl.at == end_of_local_day(dl.local_date)
        # the end is never on a day off
        assert calendar.is_workday(calendar.add_calendar_days(local(start.year, start.month, start.day), 7).local_date)


def test_calendar_days_known_examples() -> None:
    # legal aid opened 2025-09-24: day 7 is 10-01 (National Day) -> first working day 10-09
    assert calendar.add_calendar_days(local(2025, 9, 24), 7).local_date == date(2025, 10, 9)
    # 2024-09-22 + 7 = Sunday 09-29, a make-up workday: it stays
    assert calendar.add_calendar_days(local(2024, 9, 22), 7).local_date == date(2024, 9, 29)
    # 2024-02-03 + 7 = 02-10 (Spring Festival) -> the make-up Sunday 02-18
    assert calendar.add_calendar_days(local(2024, 2, 3), 7).local_date == date(2024, 2, 18)
    # an ordinary week: Monday + 7 = next Monday; Friday + 7 = next Friday (no moving)
    assert calendar.add_calendar_days(local(2025, 3, 3), 7).local_date == date(2025, 3, 10)
    # the start's own local day counts, not its UTC day: 00:30 Beijing is the previous UTC day
    assert calendar.add_calendar_days(local(2025, 3, 4, 0, 30).astimezone(UTC), 7).local_date == date(2025, 3, 11)


def test_uncovered_year_is_provisional_and_conservative() -> None:
    assert not calendar.is_covered(2027)
    # statutory fixed-date holidays are known; weekends are off; lunar festivals are not guessed
    assert not calendar.is_workday(date(2027, 1, 1))
    assert not calendar.is_workday(date(2027, 10, 1))
    assert not calendar.is_workday(date(2027, 4, 5))  # Qingming by the solar term
    assert calendar.is_workday(date(2027, 1, 4))
    dl = calendar.add_working_days(local(2026, 12, 17), 15)
    assert dl.provisional  # crosses into 2027
    assert not calendar.add_working_days(local(2026, 11, 2), 15).provisional


def test_calendar_file_covers_a_new_year(tmp_path: Path) -> None:
    f = tmp_path / "calendar.toml"
    f.write_text('[2027]\nholidays = ["2027-01-01..2027-01-03", "2027-02-05..2027-02-11"]\n'
                 'workdays = ["2027-02-14"]\n', encoding="utf-8")
    assert calendar.load_file(f) == [2027]
    assert calendar.is_covered(2027)
    assert not calendar.is_workday(date(2027, 2, 8))  # Monday inside the file's Spring Festival
    assert calendar.is_workday(date(2027, 2, 14))  # make-up Sunday
    assert calendar.is_workday(date(2027, 10, 1)) is True  # the file says nothing about it: a Friday
    dl = calendar.add_working_days(local(2026, 12, 17), 15)
    assert not dl.provisional


@pytest.mark.parametrize("text", [
    '[2027]\nholidays = ["2027-13-01"]\n',
    '[2027]\nholidays = ["2028-01-01"]\n',
    '[2027]\nworkdays = ["2027-01-04"]\n',  # a Monday cannot be a make-up workday
    '[27]\nholidays = []\n',
    '[2027]\nholiday = []\n',
    '[2027]\nholidays = ["2027-02-02"]\nworkdays = ["2027-02-02"]\n',
])
def test_calendar_file_errors_are_named(text: str) -> None:
    with pytest.raises(calendar.CalendarFileError) as err:
        calendar.parse_calendar_text(text, "x.toml")
    assert "x.toml" in str(err.value)


def test_coverage_gap_and_warning() -> None:
    from app.core import clock

    clock.freeze(datetime(2026, 11, 23, 8, tzinfo=UTC))
    try:
        assert calendar.coverage_gap(60) == [2027]
        assert "2027" in (calendar.coverage_warning_zh(60) or "")
        assert calendar.coverage_gap(20) == []
        assert calendar.coverage_warning_zh(20) is None
    finally:
        clock.freeze(None)


def test_working_seconds_round_trip() -> None:
    a = local(2025, 9, 26, 15).astimezone(UTC)
    dl = calendar.add_working_days(a, 3)
    secs = calendar.working_seconds(a, dl.at)
    assert calendar.add_working_seconds(a, secs).at == dl.at
    # the National Day week holds no working time
    assert calendar.working_seconds(local(2025, 10, 1, 0), local(2025, 10, 8, 23)) == 0
