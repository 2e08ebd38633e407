"""The working-day calendar (工作日历): official holidays and make-up workdays (调休), deadlines.

Sources, in order: a TOML file (``settings.calendar_file``) with extra or corrected years, then the
maintained ``chinese-calendar`` package (2004–2026). For a year neither covers, a day is judged
*provisionally*: weekends plus the statutory holiday dates that can be derived without a lunar
calendar (元旦 1-1, 清明 by the solar term, 劳动节 5-1..5-2, 国庆节 10-1..10-3); Spring Festival,
Dragon Boat and Mid-Autumn are not guessed. Deadlines touching such a year are marked provisional
and are recomputed when the year's data is loaded (``app.cases.service.recompute_open_deadlines``).

File format (``content/calendar.toml``)::

    [2027]
    holidays = ["2027-01-01", "2027-02-05..2027-02-11"]   # days off (ranges inclusive)
    workdays = ["2027-02-14"]                               # make-up working weekends (调休)
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar

from app.config import get_settings
from app.core import metrics
from app.core.clock import LOCAL_TZ, local_today

log = logging.getLogger("fawu.calendar")

PACKAGE_YEARS = range(2004, 2027)  # what chinese-calendar 1.x knows
END_OF_DAY = time(23, 59, 59)  # a period in days ends at 24:00 of its last day


@dataclass(frozen=True)
class Deadline:
    """A computed deadline (aware UTC) and whether an uncovered year made it provisional."""

    at: datetime
    provisional: bool = False

    @property
    def local_date(self) -> date:
        return self.at.astimezone(LOCAL_TZ).date()


class CalendarFileError(ValueError):
    """The calendar file is malformed (message names the place)."""


@dataclass
class _YearData:
    holidays: set[date]
    workdays: set[date]


_extra: dict[int, _YearData] = {}
_loaded_from: Path | None = None
_cache: dict[date, tuple[bool, bool]] = {}


def _parse_days(items: list[str], where: str) -> set[date]:
    out: set[date] = set()
    for item in items:
        try:
            if ".." in item:
                a, b = (date.fromisoformat(x.strip()) for x in item.split("..", 1))
                if b < a:
                    raise ValueError("range end before start")
                d = a
                while d <= b:
                    out.add(d)
                    d += timedelta(days=1)
            else:
                out.add(date.fromisoformat(item.strip()))
        except ValueError as exc:
            raise CalendarFileError(f"{where}: 日期 {item!r} 格式不对，应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD ({exc})") from exc
    return out


def parse_calendar_text(text: str, source: str = "calendar") -> dict[int, _YearData]:
    """Parse the calendar TOML text into per-year data; CalendarFileError on any mistake."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarFileError(f"{source}: TOML 格式错误 ({exc})") from exc
    years: dict[int, _YearData] = {}
    for key, body in data.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4) or not isinstance(body, dict):
            raise CalendarFileError(f"{source}: [{key}] 应为四位年份的表，如 [2027]")
        year = int(key)
        unknown = set(body) - {"holidays", "workdays"}
        if unknown:
            raise CalendarFileError(f"{source}: [{key}] 中有未知键 {sorted(unknown)}")
        hol = _parse_days(list(body.get("holidays", [])), f"{source} [{key}] holidays")
        wd = _parse_days(list(body.get("workdays", [])), f"{source} [{key}] workdays")
        for d in hol | wd:
            if d.year != year:
                raise CalendarFileError(f"{source}: [{key}] 中的日期 {d} 不属于 {year} 年")
        both = hol & wd
        if both:
            raise CalendarFileError(f"{source}: [{key}] 中 {sorted(both)[0]} 既是假日又是调休工作日")
        for d in wd:
            if d.weekday() < 5:
                raise CalendarFileError(f"{source}: [{key}] 调休工作日 {d} 不是周末")
        years[year] = _YearData(holidays=hol, workdays=wd)
    return years


def load_file(path: Path | None) -> list[int]:
    """Load (or with None, forget) the extra calendar file; returns the years it covers."""
    global _extra, _loaded_from
    if path is None:
        _extra, _loaded_from = {}, None
        _cache.clear()
        return []
    years = parse_calendar_text(Path(path).read_text(encoding="utf-8"), str(path))
    _extra, _loaded_from = years, Path(path)
    _cache.clear()
    return sorted(years)


def load_from_settings() -> list[int]:
    """Load ``settings.calendar_file`` when set (start-up and ``fawu calendar check``)."""
    path = get_settings().calendar_file
    if path is None or not Path(path).exists():
        if path is not None:
            log.warning("calendar_file %s does not exist", path)
        return load_file(None)
    return load_file(path)


def set_extra_years(years: dict[int, _YearData]) -> None:
    """Replace the extra years directly (tests and the loader)."""
    global _extra
    _extra = dict(years)
    _cache.clear()


def is_covered(year: int) -> bool:
    """True when official data for the year is known (file or package)."""
    return year in _extra or year in PACKAGE_YEARS


def provisional_holidays(year: int) -> set[date]:
    """The statutory holiday dates derivable without a lunar calendar (conservative, see module doc)."""
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2),
            date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)}
    try:
        for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)):
            if name == "清明":
                days.add(d)
    except Exception:  # the solar-term table has its own limits
        metrics.caught("calendar.solar_term", log, "no solar term for %s", year, level=logging.DEBUG)
    return days


def _is_workday(d: date) -> tuple[bool, bool]:
    """(is a working day, judged provisionally), cached until the calendar data changes."""
    hit = _cache.get(d)
    if hit is None:
        hit = _cache[d] = _judge(d)
    return hit


def _judge(d: date) -> tuple[bool, bool]:
    extra = _extra.get(d.year)
    if extra is not None:
        if d in extra.workdays:
            return True, False
        if d in extra.holidays:
            return False, False
        return d.weekday() < 5, False
    if d.year in PACKAGE_YEARS:
        return bool(chinese_calendar.is_workday(d)), False
    if d.weekday() >= 5:
        return False, True
    return d not in provisional_holidays(d.year), True


def is_workday(d: date) -> bool:
    """Is this (local) date a working day: weekdays minus holidays plus make-up weekends (调休)."""
    return _is_workday(d)[0]


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(LOCAL_TZ)


def _end_of(d: date) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=LOCAL_TZ).astimezone(UTC)


def add_working_days(start: datetime, n: int) -> Deadline:
    """N working days after ``start`` (its day not counted), ending at 24:00 of the Nth working day."""
    if n < 0:
        raise ValueError("n must be >= 0")
    d = _local(start).date()
    provisional = False
    count = 0
    while count < n:
        d += timedelta(days=1)
        ok, prov = _is_workday(d)
        provisional |= prov
        if ok:
            count += 1
    return Deadline(_end_of(d), provisional)


def move_past_holiday(d: date) -> tuple[date, bool]:
    """The first working day on or after ``d`` (民法典 art. 203); and whether that was provisional."""
    provisional = False
    while True:
        ok, prov = _is_workday(d)
        provisional |= prov
        if ok:
            return d, provisional
        d += timedelta(days=1)


def add_months(d: date, n: int) -> date:
    """The corresponding day ``n`` months after ``d``, or that month's last day when it has none
    (民法典 art. 202: 到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日)."""
    index = d.year * 12 + d.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    last_day = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last_day))


def add_calendar_months(start: datetime, n: int) -> Deadline:
    """N months after ``start`` (its day not counted): the corresponding day at 24:00, moved to the
    next working day when it is a holiday or rest day (民法典 arts. 201–203)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    end, provisional = move_past_holiday(add_months(_local(start).date(), n))
    return Deadline(_end_of(end), provisional)


def add_calendar_days(start: datetime, n: int) -> Deadline:
    """N calendar days after ``start`` (its day not counted); an end on a holiday or rest day moves to
    the next working day; ends at 24:00."""
    if n < 0:
        raise ValueError("n must be >= 0")
    end, provisional = move_past_holiday(_local(start).date() + timedelta(days=n))
    return Deadline(_end_of(end), provisional)


def working_seconds(a: datetime, b: datetime) -> float:
    """Seconds between two instants that fall on working days (local dates); 0 when b <= a."""
    if b <= a:
        return 0.0
    la, lb = _local(a), _local(b)
    total = 0.0
    d = la.date()
    while d <= lb.date():
        day_start = datetime.combine(d, time(0), tzinfo=LOCAL_TZ)
        day_end = day_start + timedelta(days=1)
        lo, hi = max(la, day_start), min(lb, day_end)
        if hi > lo and is_workday(d):
            total += (hi - lo).total_seconds()
        d += timedelta(days=1)
    return total


def add_working_seconds(start: datetime, seconds: float) -> Deadline:
    """The instant after ``start`` at which ``seconds`` of working-day time have passed."""
    t = _local(start)
    remaining = seconds
    provisional = False
    while True:
        day_end = datetime.combine(t.date() + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
        ok, prov = _is_workday(t.date())
        provisional |= prov
        if ok:
            span = (day_end - t).total_seconds()
            if span >= remaining:
                return Deadline((t + timedelta(seconds=remaining)).astimezone(UTC), provisional)
            remaining -= span
        t = day_end


def coverage_gap(days: int = 60) -> list[int]:
    """Years touched by the next ``days`` days (from today, local) without official data."""
    today = local_today()
    years = {today.year, (today + timedelta(days=days)).year}
    return sorted(y for y in years if not is_covered(y))


def coverage_warning_zh(days: int = 60) -> str | None:
    """A Chinese warning for the console when the next ``days`` days are not covered, else None."""
    gap = coverage_gap(days)
    if not gap:
        return None
    years = "、".join(str(y) for y in gap)
    return (f"工作日历缺少 {years} 年的官方放假安排：涉及该年的期限暂按周末和法定节日推算（标为“暂定”）。"
            f"请在国务院办公厅发布通知后更新日历文件。")


def check_at_startup() -> None:
    """Load the configured file and log a warning when the next 60 days are not covered."""
    try:
        load_from_settings()
    except CalendarFileError as exc:
        log.error("calendar file rejected: %s", exc)
    gap = coverage_gap(60)
    if gap:
        log.warning("working-day calendar does not cover %s: deadlines there are provisional", gap)


def describe_sources() -> dict[str, object]:
    """What the calendar knows (for ``fawu calendar check`` and the console)."""
    return {
        "package_years": [PACKAGE_YEARS.start, PACKAGE_YEARS.stop - 1],
        "file": str(_loaded_from) if _loaded_from else None,
        "file_years": sorted(_extra),
    }
