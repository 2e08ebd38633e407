"""Staff edit their point's schedule over the console's HTTP: a session's hours and capacity changed in place
(validated in Chinese, never a 500), every schedule change audited, another township's plan not found;
the monthly utilisation and no-show page per point and service with its denominators."""

from __future__ import annotations

from typing import Any

import httpx

from app.booking import service
from app.booking.models import BookingDayChange, BookingPlan
from app.core.actor import Role
from app.core.scope import OrgScope
from app.staff.models import AuditLog
from tests.booking.conftest import NOW, POINT, SERVICE, SLOT, SLOT_AT
from tests.console.conftest import HTML, login, session_csrf
from tests.factories import make_staff


async def _clerk(client: httpx.AsyncClient, username: str, unit: str) -> str:
    await make_staff(username=username, unit_codes=[unit], role=Role.TOWNSHIP_STAFF)
    r = await login(client, username)
    assert r.status_code in (200, 303), r.text[:300]
    return await session_csrf(client)


async def _left(client: httpx.AsyncClient) -> dict[str, int]:
    r = await client.get("/api/booking/slots", params={"point": POINT, "service": SERVICE})
    return {s["slot"]: s["left"] for s in r.json()["slots"]}


async def test_a_session_is_edited_validated_and_audited(app: Any, client: httpx.AsyncClient, plan: Any) -> None:
    csrf = await _clerk(client, "tyzedit", "TYZ")
    tuesday = await BookingPlan.get(point_code=POINT, service_code=SERVICE, weekday=1, active=True)
    page = await client.get("/console/booking/schedule", params={"point": POINT}, headers=HTML)
    assert f'action="/console/booking/schedule/plan/{tuesday.id}"' in page.text
    assert (await _left(client))[SLOT] == 3
    r = await client.post(f"/console/booking/schedule/plan/{tuesday.id}", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "start": "09:00", "end": "10:00", "capacity": "5"})
    assert r.status_code == 303 and "notice=" in r.headers["location"]
    left = await _left(client)
    assert left[SLOT] == 5 and "2026-12-08T10:30" not in left
    entry = await AuditLog.filter(action="booking.plan_update").order_by("-id").first()
    assert entry is not None and entry.actor_name and entry.detail["capacity"] == 5 and entry.target_id == str(tuesday.id)
    # bad values: a Chinese message, nothing changed, never a 500
    cases = [("10:00", "09:00", "2", "结束时间应晚于开始时间"), ("09:00", "10:00", "0", "1 到 50"),
             ("09:00", "10:00", "很多", "整数"), ("9点", "10:00", "2", "")]
    for start, end, cap, says in cases:
        bad = (start, end, cap)
        r = await client.post(f"/console/booking/schedule/plan/{tuesday.id}", headers=HTML, data={
            "csrf_token": csrf, "point": POINT, "start": start, "end": end, "capacity": cap})
        assert r.status_code == 303 and "error=" in r.headers["location"], (bad, r.status_code)
        page = await client.get(r.headers["location"], headers=HTML)
        assert page.status_code == 200 and says in page.text
    assert (await BookingPlan.get(id=tuesday.id)).capacity == 5
    # adding and removing are audited too
    await client.post("/console/booking/schedule/plan", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "svc": "mediation", "weekdays": ["2"], "start": "14:00", "end": "16:00",
        "capacity": "2"})
    assert await AuditLog.filter(action="booking.plan_add").count() == 1
    await client.post(f"/console/booking/schedule/plan/{tuesday.id}/remove", headers=HTML,
                      data={"csrf_token": csrf, "point": POINT})
    assert await AuditLog.filter(action="booking.plan_remove", target_id=str(tuesday.id)).count() == 1
    # another township's clerk: not found, nothing changed
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    csrf2 = await _clerk(other, "sqzedit", "SQZ")
    monday = await BookingPlan.get(point_code=POINT, service_code=SERVICE, weekday=0, active=True)
    r = await other.post(f"/console/booking/schedule/plan/{monday.id}", headers=HTML, data={
        "csrf_token": csrf2, "point": POINT, "start": "09:00", "end": "10:00", "capacity": "9"})
    assert r.status_code == 404
    assert (await BookingPlan.get(id=monday.id)).capacity == 3
    await other.aclose()


async def test_utilisation_and_no_shows_per_point_and_service(client: httpx.AsyncClient, plan: Any) -> None:
    # 3 per slot, 09:00-11:30 (5 slots of 30 minutes), Mon-Fri: December 2026 has 23 working days = 345 places
    await BookingPlan.filter(active=True, service_code__not=SERVICE).update(active=False)
    await BookingPlan.filter(active=True, point_code__not=POINT).update(active=False)
    await BookingDayChange.all().delete()
    codes = []
    for i in range(2):
        conf = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name=f"居民{i}",
                                  phone=f"1380000000{i}", channel="page", now=NOW)
        codes.append(conf.code)
    from app.core import clock

    clock.freeze(SLOT_AT)
    await service.check_in(code=codes[0], scope=OrgScope.everything(), staff_name="李四", now=SLOT_AT)
    await service.mark_no_shows(now=SLOT_AT.replace(hour=SLOT_AT.hour + 3))
    await _clerk(client, "tyzstats", "TYZ")
    page = await client.get("/console/booking/stats", params={"month": "2026-12"}, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    assert "0.6%（2/345）" in page.text and "50.0%（1/2）" in page.text
    bad = await client.get("/console/booking/stats", params={"month": "十二月"}, headers=HTML)
    assert bad.status_code == 400 and "月份格式" in bad.text
