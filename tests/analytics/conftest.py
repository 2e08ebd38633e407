"""Analytics test helpers: seeding consultations with known figures (rows written directly: the figures,
not the engine, are under test), and the clock frozen inside a known week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.core import clock
from tests.console.conftest import new_client  # noqa: F401  the extra browsers of the console tests

# Wednesday 2026-11-18, local; its week starts Monday 2026-11-16; the clock stands at 15:00 (seeded rows: 8-14h)
TODAY = date(2026, 11, 18)
WEEK = date(2026, 11, 16)


def at_local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), clock.LOCAL_TZ).astimezone(UTC)


async def seed(rows: list[tuple[date, str, str, str, str, int]], *, channel: str = "wechat") -> int:
    """(day, township, community, category, client prefix, how many distinct clients): one consultation each."""
    from app.consult.models import Consultation

    made = []
    for day, township, community, category, who, n in rows:
        for i in range(n):
            made.append(Consultation(question=f"{category} 问题 {i}", category=category, township_code=township,
                                     community_code=community, channel=channel, client=f"{who}{i}",
                                     created_at=at_local(day, 8 + i % 7)))
    await Consultation.bulk_create(made, batch_size=500)
    return len(made)


@pytest.fixture
def frozen() -> Iterator[datetime]:
    now = at_local(TODAY, 15)
    clock.freeze(now)
    yield now
    clock.freeze(None)


def week_ago(n: int) -> date:
    return TODAY - timedelta(weeks=n)

