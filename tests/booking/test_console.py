"""Staff pages through the console's HTTP: schedule management (plans, closures, extra sessions), the
day's list, desk booking, check-in by code (publishes booking.checked_in), cancel with a reason the
resident is told, no-show, the printable list and the ICS feed, all limited to the clerk's township."""

from __future__ import annotations

import re
from typing import Any

import httpx

from app.core import events
from app.core.actor import Role
from tests.booking.conftest import POINT, SERVICE, SLOT, SLOT_AT
from tests.console.conftest import HTML, login, session_csrf
from tests.factories import make_staff


async def _clerk(client: httpx.AsyncClient, username: str = "tyzclerk", unit: str = "TYZ") -> str:
    await make_staff(username=username, unit_codes=[unit], role=Role.TOWNSHIP_STAFF)
    r = await login(client, username)
    assert r.status_code in (200, 303), r.text[:300]
    return await session_csrf(client)


async def _slots(client: httpx.AsyncClient, service: str = SERVICE) -> dict[str, int]:
    r = await client.get("/api/booking/slots", params={"point": POINT, "service": service})
    return {s["slot"]: s["left"] for s in r.json()["slots"]}


async def test_schedule_is_managed_in_the_console(client: httpx.AsyncClient, plan: Any) -> None:
    csrf = await _clerk(client)
    page = await client.get("/console/booking/schedule", params={"point": POINT}, headers=HTML)
    assert page.status_code == 200 and "桃源镇公共法律服务工作站" in page.text and "公证员" not in page.text
    # mediation on Wednesday afternoons, 2 places per slot
    assert "2026-12-09T14:00" not in await _slots(client, "mediation")
    r = await client.post("/console/booking/schedule/plan", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "svc": "mediation", "weekdays": ["2"], "start": "14:00", "end": "16:00",
        "capacity": "2", "provider": "调解员老陈"})
    assert r.status_code == 303 and "notice=" in r.headers["location"]
    assert (await _slots(client, "mediation"))["2026-12-09T14:00"] == 2
    # a wrong time: a clear message, nothing saved
    r = await client.post("/console/booking/schedule/plan", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "svc": "mediation", "weekdays": ["3"], "start": "16:00", "end": "14:00"})
    page = await client.get(r.headers["location"], headers=HTML)
    assert "结束时间应晚于开始时间" in page.text
    # closed on Tuesday morning (training), an extra Saturday session
    await client.post("/console/booking/schedule/change", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "kind": "closure", "day": "2026-12-08", "svc": "", "start": "08:00",
        "end": "10:00", "reason": "业务培训"})
    left = await _slots(client)
    assert SLOT not in left and "2026-12-08T09:30" not in left and left["2026-12-08T10:00"] == 3
    await client.post("/console/booking/schedule/change", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "kind": "extra", "day": "2026-12-12", "svc": SERVICE, "start": "09:00",
        "end": "10:00", "capacity": "1"})
    assert (await _slots(client))["2026-12-12T09:30"] == 1
    # another township's point is not this clerk's
    r = await client.post("/console/booking/schedule/plan", headers=HTML, data={
        "csrf_token": csrf, "point": "SP-SQZ", "svc": "mediation", "weekdays": ["2"], "start": "14:00", "end": "16:00"})
    assert "没有找到该服务点" in (await client.get(r.headers["location"], headers=HTML)).text


async def test_desk_day_checkin_cancel_and_lists(client: httpx.AsyncClient, plan: Any, monkeypatch: Any) -> None:
    from app.booking import service
    from app.wechat.models import PendingDelivery

    seen: list[dict[str, Any]] = []

    async def survey_stub(**payload: Any) -> None:
        seen.append(payload)

    monkeypatch.setitem(events._subscribers, "booking.checked_in", [survey_stub])
    chat = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="周九",
                              phone="13200132000", channel="chat", account_key="yx_taoyuan", openid="o_desk_1")
    csrf = await _clerk(client)
    r = await client.post("/console/booking/book", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "svc": SERVICE, "slot": SLOT, "name": "吴十", "phone": "13200132001"})
    notice = (await client.get(r.headers["location"], headers=HTML)).text
    code = re.search(r"预约码 ([A-Z0-9]{6})", notice).group(1)  # type: ignore[union-attr]
    day = await client.get("/console/booking", params={"point": POINT, "day": "2026-12-08"}, headers=HTML)
    assert "周九" in day.text and "吴十" in day.text and "132****2001" in day.text and "13200132001" not in day.text
    # check-in is on the day: today (12-07) it is refused with the reason
    r = await client.post("/console/booking/checkin", headers=HTML, data={"csrf_token": csrf, "point": POINT,
                                                                          "code": code})
    assert "不是今天" in (await client.get(r.headers["location"], headers=HTML)).text
    from app.core import clock
    from tests.booking.conftest import NOW

    clock.freeze(SLOT_AT)
    try:
        await login(client, "tyzclerk")  # the next day: a new session
        csrf = await session_csrf(client)
        r = await client.post("/console/booking/checkin", headers=HTML, data={"csrf_token": csrf, "point": POINT,
                                                                              "code": code.lower()})
        assert "已签到" in (await client.get(r.headers["location"], headers=HTML)).text
        assert len(seen) == 1 and seen[0]["code"] == code and seen[0]["service_code"] == SERVICE
        again = await client.post("/console/booking/checkin", headers=HTML, data={"csrf_token": csrf, "code": code})
        assert again.status_code == 303 and len(seen) == 1  # once
    finally:
        clock.freeze(NOW)
    csrf = await session_csrf(client)
    # staff cancel: a reason is required, and the resident is told on WeChat
    chat_row = await service.find(code=chat.code, phone="13200132000")
    r = await client.post(f"/console/booking/{chat_row.id}/cancel", headers=HTML, data={
        "csrf_token": csrf, "point": POINT, "day": "2026-12-08", "reason": "律师临时出庭"})
    assert "已取消" in (await client.get(r.headers["location"], headers=HTML)).text
    told = await PendingDelivery.get(ref=f"booking:{chat_row.id}:cancel")
    assert "律师临时出庭" in told.payload["text"] and "12月8日 周二 09:00" in told.payload["text"]
    # the printable list and the ICS feed: the same local time
    printed = await client.get("/console/booking/print", params={"point": POINT, "day": "2026-12-08"}, headers=HTML)
    assert "09:00" in printed.text and "吴十" in printed.text and "周九" not in printed.text
    ics = await client.get("/console/booking/ics", params={"point": POINT})
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "DTSTART:20261208T010000Z" in ics.text and "12月8日 周二 09:00" in ics.text
    # another township's clerk sees none of it
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # type: ignore[attr-defined]
    async with other:
        await _clerk(other, "sqzclerk", "SQZ")
        page = await other.get("/console/booking", params={"point": POINT}, headers=HTML)
        assert page.status_code == 404 or "吴十" not in page.text
