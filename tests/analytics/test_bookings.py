"""Bookings in the district's analytics (issue 22): booking answers ``analytics.figures_requested`` with its
bookings per township, service and channel, and the places offered, booked, attended and missed; the
statistics page shows utilisation and the no-show rate with their denominators. Figures by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx

from app.analytics import service
from app.analytics.models import RollupCell
from app.booking import service as booking_service
from app.booking.models import BookingDayChange, BookingPlan
from app.core import clock
from app.core.actor import Role
from app.core.clock import LOCAL_TZ
from app.core.scope import OrgScope
from tests.console.conftest import HTML, login
from tests.factories import make_booking_plan, make_staff

MONDAY = date(2026, 12, 7)


def _at(d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, 12, d, h, mi, tzinfo=LOCAL_TZ).astimezone(UTC)


async def test_bookings_utilisation_and_no_shows_by_hand(app: Any, demo_org: None, client: httpx.AsyncClient) -> None:
    # 桃源镇工作站, 公证咨询 (30 minutes, no buffer), Monday to Friday 09:00-11:30, 3 per slot:
    # 5 slots a day x 3 places x 5 working days (2026-12-07..11) = 75 places in the week
    await make_booking_plan(point="SP-TYZ", service="notary", start="09:00", end="11:30", capacity=3)
    # the demo's own plans are set aside so the places can be counted by hand
    await BookingPlan.filter(active=True, service_code__not="notary").update(active=False)
    await BookingPlan.filter(active=True, point_code__not="SP-TYZ").update(active=False)
    await BookingDayChange.all().delete()
    clock.freeze(_at(7, 8))
    try:
        codes = []
        for i in range(4):
            conf = await booking_service.book(point_code="SP-TYZ", service_code="notary", starts_at=_at(8, 9, 30 if i == 3 else 0),
                                              name=f"居民{i}", phone=f"1390000000{i}", channel="chat" if i else "console",
                                              now=_at(7, 8))
            codes.append(conf.code)
        await booking_service.cancel(booking_id=(await booking_service.find(code=codes[3], phone="13900000003")).id,
                                     now=_at(7, 9))  # cancelled: not counted
        clock.freeze(_at(8, 9, 5))
        await booking_service.check_in(code=codes[0], scope=OrgScope.everything(), staff_name="李四", now=_at(8, 9, 5))
        await booking_service.mark_no_shows(now=_at(8, 12))  # the other two never came
        await service.compute_period("week", MONDAY)
    finally:
        clock.freeze(None)
    use = {c.dim: c.count for c in await RollupCell.filter(source="booking_use", period="week",
                                                             period_start=MONDAY, grain="township",
                                                             township_code="TYZ")}
    from app.analytics.service import periods
    from app.booking.service import figures as booking_figures

    since, until = periods.bounds("week", MONDAY)
    detail = await booking_figures.offered(since=since, until=until)
    assert use == {"places": 75, "booked": 3, "attended": 1, "no_show": 2}, (detail, since, until)
    district = {c.dim: c.count for c in await RollupCell.filter(source="booking_use", period_start=MONDAY,
                                                                  period="week", grain="district")}
    assert district == use
    total = await RollupCell.get(source="bookings", period="week", period_start=MONDAY, grain="district_total")
    assert (total.count, total.residents) == (3, 3)
    by_channel = {c.dim: c.count for c in await RollupCell.filter(source="bookings", period_start=MONDAY,
                                                                    grain="district_channel")}
    assert by_channel == {"console": 1, "chat": 2}
    # the statistics page: utilisation 3/75 = 4.0 %, no-shows 2/3 = 66.7 %, with their denominators
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    page = await client.get("/console/analytics", params={"source": "bookings", "period": "week",
                                                           "start": MONDAY.isoformat()}, headers=HTML)
    assert page.status_code == 200, page.text
    assert 'id="booking-use"' in page.text and "4.0%（3/75）" in page.text and "66.7%（2/3）" in page.text
    # a township's clerk sees their township only, not the district line
    await make_staff(username="sqz2", name="周九", unit_codes=["SQZ"])
    client.cookies.clear()
    await login(client, "sqz2")
    page = await client.get("/console/analytics", params={"source": "bookings", "period": "week",
                                                           "start": MONDAY.isoformat()}, headers=HTML)
    assert page.status_code == 200 and "3/75" not in page.text and "全区" not in page.text.split('id="booking-use"')[1]
