"""Booking fixtures: a frozen clock (Monday 2026-12-07 08:00 Beijing time) and a plan of its own
(公证咨询 at 桃源镇工作站, which the demo's plans leave empty), capacity 3 per slot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app.core import clock
from app.core.clock import LOCAL_TZ
from tests.factories import make_booking_plan

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
POINT, SERVICE = "SP-TYZ", "notary"
SLOT = "2026-12-08T09:00"  # Tuesday
SLOT_AT = datetime(2026, 12, 8, 9, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test has its own database: forget the services and points another test's database had."""
    from app.booking.service import catalog

    catalog.forget_cached()
    yield
    catalog.forget_cached()


@pytest.fixture
def frozen() -> Iterator[datetime]:
    clock.freeze(NOW)
    try:
        yield NOW
    finally:
        clock.freeze(None)


@pytest.fixture
async def plan(demo_org: None, frozen: datetime) -> list[Any]:
    return await make_booking_plan(point=POINT, service=SERVICE, capacity=3)


def form(i: int = 0, **over: Any) -> dict[str, Any]:
    body = {"point": POINT, "service": SERVICE, "slot": SLOT, "name": f"居民{i}", "phone": f"139{i:08d}"}
    body.update(over)
    return body
