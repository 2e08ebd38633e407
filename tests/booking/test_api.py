"""Booking through the JSON API (what the mini-program calls): book, full, idempotent, cap, cancel, move."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.booking.conftest import POINT, SERVICE, SLOT, SLOT_AT, form


@pytest.fixture
async def api(client: httpx.AsyncClient, plan: Any, settings: Any) -> httpx.AsyncClient:
    from app.config import set_settings

    # the per-client write limit would answer 429 to a test that books from one address many times
    set_settings(settings.model_copy(update={"rate_limits": {**settings.rate_limits, "booking": "10000/minute"}}))
    return client


async def test_slots_then_book_then_look_up(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/booking/slots", params={"point": POINT, "service": SERVICE})
    assert r.status_code == 200
    slots = r.json()["slots"]
    assert slots[0]["slot"] == "2026-12-07T10:00"  # 2 hours' notice from 08:00
    assert {"slot": SLOT, "label": "12月8日 周二 09:00", "capacity": 3, "left": 3, "provisional": False} in slots
    r = await api.post("/api/booking/bookings", json=form(1, request_id="req-000001"))
    assert r.status_code == 201, r.text
    b = r.json()["booking"]
    assert b["local_time"] == "12月8日 周二 09:00" and b["point"] == "桃源镇公共法律服务工作站"
    assert b["phone"] == "139****0001" and "uri.amap.com" in b["map_url"] and b["documents"]
    r = await api.get(f"/api/booking/bookings/{b['code']}", params={"phone": "13900000001"})
    assert r.json()["booking"]["code"] == b["code"]
    r = await api.get(f"/api/booking/bookings/{b['code']}", params={"phone": "13900000002"})
    assert r.status_code == 404 and r.json()["error"]["message"].startswith("没有找到该预约")
    left = {s["slot"]: s["left"] for s in (await api.get("/api/booking/slots", params={
        "point": POINT, "service": SERVICE})).json()["slots"]}
    assert left[SLOT] == 2


async def test_full_slot_answers_409_with_the_next_free_slots(api: httpx.AsyncClient) -> None:
    for i in range(3):
        assert (await api.post("/api/booking/bookings", json=form(i))).status_code == 201
    r = await api.post("/api/booking/bookings", json=form(9))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "booking_full" and err["message"].startswith("已约满")
    assert [n["slot"] for n in err["next"]] == ["2026-12-08T09:30", "2026-12-08T10:00", "2026-12-08T10:30"]


async def test_bad_input_is_a_clear_400_never_500(api: httpx.AsyncClient) -> None:
    cases = [form(1, phone="12345"), form(1, name=""), form(1, slot="tomorrow"), form(1, slot="2026-12-08T09:10"),
             form(1, slot="2026-12-07T09:00"),  # inside the 2 hours' notice
             form(1, slot="2026-12-26T09:00"),  # beyond the 14 days ahead
             form(1, slot="2026-12-12T09:00"),  # a Saturday
             form(1, point="NOPE"), form(1, service="nope")]
    for body in cases:
        r = await api.post("/api/booking/bookings", json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
        assert r.json()["error"]["message"], body


async def test_fifty_identical_submissions_make_one_booking_with_one_code(api: httpx.AsyncClient) -> None:
    """B2: WeChat retries and double taps: the same request id 50 times at once."""
    body = form(5, request_id="double-tap-0001")
    answers = await asyncio.gather(*(api.post("/api/booking/bookings", json=body) for _ in range(50)))
    assert {r.status_code for r in answers} == {201}
    codes = {r.json()["booking"]["code"] for r in answers}
    assert len(codes) == 1
    assert sum(r.json()["created"] for r in answers) == 1
    from app.booking.models import Booking

    assert await Booking.filter(phone_masked="139****0005").count() == 1
    # the same person and slot without a request id: still their one booking
    r = await api.post("/api/booking/bookings", json=form(5))
    assert r.json()["booking"]["code"] in codes and r.json()["created"] is False


async def test_cap_of_future_bookings_per_resident(api: httpx.AsyncClient, settings: Any) -> None:
    for slot in ("2026-12-08T09:00", "2026-12-08T09:30", "2026-12-08T10:00"):
        assert (await api.post("/api/booking/bookings", json=form(7, slot=slot))).status_code == 201
    r = await api.post("/api/booking/bookings", json=form(7, slot="2026-12-08T10:30"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "booking_too_many"


async def test_cancel_frees_the_place_and_move_keeps_the_code(api: httpx.AsyncClient) -> None:
    codes = [(await api.post("/api/booking/bookings", json=form(i))).json()["booking"]["code"] for i in range(3)]
    r = await api.post(f"/api/booking/bookings/{codes[0]}/cancel", json={"phone": "13900000000"})
    assert r.status_code == 200 and r.json()["booking"]["status"] == "cancelled"
    r = await api.post(f"/api/booking/bookings/{codes[0]}/cancel", json={"phone": "13900000000"})
    assert r.status_code == 409
    assert (await api.post("/api/booking/bookings", json=form(8))).status_code == 201
    r = await api.post(f"/api/booking/bookings/{codes[1]}/move", json={"phone": "13900000001", "slot": "2026-12-09T10:00"})
    assert r.status_code == 200 and r.json()["booking"]["code"] == codes[1]
    assert r.json()["booking"]["local_time"] == "12月9日 周三 10:00"
    left = {s["slot"]: s["left"] for s in (await api.get("/api/booking/slots", params={
        "point": POINT, "service": SERVICE})).json()["slots"]}
    assert left[SLOT] == 1 and left["2026-12-09T10:00"] == 2
    from app.booking.models import BookingSlot

    assert (await BookingSlot.get(starts_at=SLOT_AT)).taken == 2


async def test_concurrent_requests_on_one_slot_never_overbook(api: httpx.AsyncClient) -> None:
    """B1 in one process (both backends): 60 residents at once on a slot of capacity 3."""
    answers = await asyncio.gather(*(api.post("/api/booking/bookings", json=form(i)) for i in range(60)))
    statuses = [r.status_code for r in answers]
    assert statuses.count(201) == 3 and statuses.count(409) == 57, statuses
    assert all(r.json()["error"]["code"] == "booking_full" and r.json()["error"]["next"]
               for r in answers if r.status_code == 409)
    from app.booking.models import Booking, BookingSlot

    assert await Booking.filter(status="booked", starts_at=SLOT_AT).count() == 3
    assert (await BookingSlot.get(starts_at=SLOT_AT)).taken == 3


async def test_every_write_path_fired_together_ends_at_capacity(api: httpx.AsyncClient) -> None:
    """B1: API bookings, desk bookings, reschedules into the slot and a cancellation whose place goes to
    the waiting list, all at once: the slot ends with exactly 3 places held."""
    from app.booking import service
    from app.booking.models import Booking, BookingSlot, BookingWait

    held = [(await api.post("/api/booking/bookings", json=form(i))).json()["booking"]["code"] for i in range(3)]
    for i in range(2):
        await service.join(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name=f"候补{i}",
                           phone=f"1310000000{i}")
    movers = []
    for i in range(5):
        r = await api.post("/api/booking/bookings", json=form(20 + i, slot=f"2026-12-09T{9 + i // 3:02d}:00"))
        movers.append(await service.find(code=r.json()["booking"]["code"], phone=f"139{20 + i:08d}"))
    first = await service.find(code=held[0], phone="13900000000")

    async def desk(i: int) -> Any:
        return await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name=f"窗口{i}",
                                  phone=f"1320000{i:04d}", channel="console")

    calls = ([api.post("/api/booking/bookings", json=form(40 + i)) for i in range(20)]
             + [desk(i) for i in range(5)]
             + [service.move(booking_id=m.id, starts_at=SLOT_AT) for m in movers]
             + [service.cancel(booking_id=first.id)])
    results = await asyncio.gather(*calls, return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, service.SlotFull)]
    assert unexpected == []
    slot = await BookingSlot.get(starts_at=SLOT_AT)
    booked = await Booking.filter(slot_id=slot.id, status="booked").count()
    offered = await BookingWait.filter(slot_id=slot.id, status="offered").count()
    assert slot.taken == booked + offered == 3, (slot.taken, booked, offered)
