"""Periods of the figures: weeks (Monday to Sunday) and months, in local dates, and their UTC bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.core.clock import LOCAL_TZ

PERIODS = ("week", "month")


def start_of(period: str, day: date) -> date:
    """The first day of the week (Monday) or month holding ``day``."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def next_start(period: str, start: date) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_start(period: str, start: date) -> date:
    if period == "week":
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


def year_before(period: str, start: date) -> date:
    """The same period a year earlier: the week holding the same date minus 52 weeks, or the month."""
    if period == "week":
        return start - timedelta(weeks=52)
    return start.replace(year=start.year - 1)


def bounds(period: str, start: date) -> tuple[datetime, datetime]:
    """[since, until) in UTC for a local period."""
    end = next_start(period, start)
    return (datetime.combine(start, time(), LOCAL_TZ).astimezone(UTC),
            datetime.combine(end, time(), LOCAL_TZ).astimezone(UTC))


def label(period: str, start: date) -> str:
    if period == "week":
        end = start + timedelta(days=6)
        return f"{start:%Y-%m-%d}至{end:%m-%d}"
    return f"{start.year}年{start.month}月"


def recent(period: str, today: date, n: int) -> list[date]:
    """The starts of the last ``n`` periods up to the one holding ``today``, oldest first."""
    out = [start_of(period, today)]
    while len(out) < n:
        out.append(previous_start(period, out[-1]))
    return out[::-1]
