"""Deadline arithmetic of the case domain: limits in hours, pauses read from history rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.cases import deadlines
from app.core.clock import LOCAL_TZ


@dataclass
class Ev:
    at: datetime
    from_status: str | None
    to_status: str | None
    id: int = 0


def t(d: int, h: int, m: int = 0) -> datetime:
    return datetime(2025, 3, d, h, m, tzinfo=LOCAL_TZ).astimezone(UTC)


def test_pauses_from_history_to_the_second() -> None:
    events = [
        Ev(t(3, 9), None, "accepted", 1), Ev(t(3, 10), "accepted", "assigned", 2),
        Ev(t(3, 11, 17), "assigned", "waiting_info", 3), Ev(t(4, 8, 5), "waiting_info", "in_progress", 4),
        Ev(t(5, 9), "in_progress", "waiting_info", 5),
    ]
    assert deadlines.pauses_from_events(events, t(3, 9)) == [(t(3, 11, 17), t(4, 8, 5)), (t(5, 9), None)]
    # pauses before the clock start (a reopening) are ignored
    assert deadlines.pauses_from_events(events, t(4, 12)) == [(t(5, 9), None)]


def test_hour_limits_shift_by_the_pause() -> None:
    assert deadlines.compute(start=t(3, 9), limit="4h").at == t(3, 13)  # type: ignore[union-attr]
    dl = deadlines.compute(start=t(3, 9), limit="4h", pauses=[(t(3, 10), t(3, 12, 30))])
    assert dl is not None and dl.at == t(3, 15, 30)
    assert deadlines.compute(start=t(3, 9), limit="4h", pauses=[(t(3, 10), None)]) is None
    # a pause after the deadline changes nothing
    assert deadlines.compute(start=t(3, 9), limit="4h", pauses=[(t(3, 14), t(3, 16))]).at == t(3, 13)  # type: ignore[union-attr]


def test_working_day_pause_over_a_weekend_costs_nothing() -> None:
    base = deadlines.compute(start=t(3, 10), limit="5wd")
    assert base is not None and base.at.astimezone(LOCAL_TZ).date().isoformat() == "2025-03-10"
    # paused from Saturday 03-08 00:00 to Monday 03-10 00:00: no working time lost
    dl = deadlines.compute(start=t(3, 10), limit="5wd", pauses=[(t(8, 0), t(10, 0))])
    assert dl is not None and dl.at == base.at
    # paused a whole working day (Friday): one working day later
    dl = deadlines.compute(start=t(3, 10), limit="5wd", pauses=[(t(7, 0), t(8, 0))])
    assert dl is not None and dl.at == base.at + timedelta(days=1)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        deadlines.parse_limit("7 days")
