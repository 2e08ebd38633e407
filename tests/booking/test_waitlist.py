"""B5: the waiting list. A freed place goes at once to the first waiting resident and is held for them;
random cancel/book/join/claim/leave/expiry sequences never exceed capacity or offer one place twice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.booking import service
from app.booking.models import Booking, BookingSlot, BookingWait
from tests.booking.conftest import NOW, POINT, SERVICE, SLOT_AT

CAPACITY = 3


async def _invariants() -> None:
    slot = await BookingSlot.get_or_none(starts_at=SLOT_AT)
    if slot is None:
        return
    booked = await Booking.filter(slot_id=slot.id, status="booked").count()
    offered = await BookingWait.filter(slot_id=slot.id, status="offered").count()
    waiting = await BookingWait.filter(slot_id=slot.id, status="waiting").count()
    assert slot.taken == booked + offered <= CAPACITY, (slot.taken, booked, offered)
    if slot.taken < CAPACITY:
        assert waiting == 0  # a free place never sits idle while someone waits


async def test_cancel_offers_the_place_to_the_first_waiting_and_holds_it(plan: Any) -> None:
    now = NOW
    confs = [await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name=f"甲{i}",
                                phone=f"1350000000{i}", channel="api", now=now) for i in range(3)]
    with pytest.raises(service.SlotFull):
        await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="乙", phone="13511110000",
                           channel="api", now=now)
    w1 = await service.join(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="乙",
                            phone="13511110000", account_key="yx_taoyuan", openid="o_wait_1", now=now)
    w2 = await service.join(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="丙",
                            phone="13511110001", now=now)
    assert (w1.status, await service.position(w1.id), await service.position(w2.id)) == ("waiting", 1, 2)
    first = await Booking.get(code=confs[0].code)
    await service.cancel(booking_id=first.id, now=now)
    w1 = await BookingWait.get(id=w1.id)
    assert w1.status == "offered" and w1.offered_at == now  # within the cancellation itself: 0 s
    assert w1.hold_until == now + timedelta(minutes=30)
    await _invariants()
    # nobody else gets the held place
    with pytest.raises(service.SlotFull):
        await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="丁", phone="13522220000",
                           channel="api", now=now)
    # the hold lapses: the next run of the sweep (every 20 s) passes it on
    later = now + timedelta(minutes=30, seconds=20)
    assert await service.expire_holds(now=later) == 1
    assert (await BookingWait.get(id=w1.id)).status == "expired"
    w2 = await BookingWait.get(id=w2.id)
    assert w2.status == "offered" and w2.offered_at == later
    with pytest.raises(service.OfferGone):
        await service.claim(phone="13511110000", now=later)  # the first one is too late
    conf = await service.claim(phone="13511110001", now=later)
    assert conf.status == "booked" and conf.starts_at == SLOT_AT
    await _invariants()
    assert (await BookingSlot.get(starts_at=SLOT_AT)).taken == 3


async def test_random_sequences_never_exceed_capacity_or_offer_a_place_twice(plan: Any) -> None:
    rng = random.Random(18)
    now: datetime = NOW
    people = [f"1340000{i:04d}" for i in range(40)]
    for _ in range(120):
        op = rng.choice(["book", "book", "cancel", "join", "join", "claim", "leave", "time"])
        phone = rng.choice(people)
        try:
            if op == "book":
                await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="某",
                                   phone=phone, channel="api", now=now)
            elif op == "cancel":
                ids = await Booking.filter(status="booked").values_list("id", flat=True)
                if ids:
                    await service.cancel(booking_id=rng.choice(ids), now=now)
            elif op == "join":
                await service.join(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="某",
                                   phone=phone, now=now)
            elif op == "claim":
                offers = await BookingWait.filter(status="offered").values_list("id", flat=True)
                if offers:
                    await service.claim(wait_id=rng.choice(offers), now=now)
            elif op == "leave":
                ids = await BookingWait.filter(status__in=("waiting", "offered")).values_list("id", flat=True)
                if ids:
                    await service.leave(wait_id=rng.choice(ids), now=now)
            else:
                now += timedelta(minutes=rng.choice([1, 10, 31]))
                await service.expire_holds(now=now)
        except (service.SlotFull, service.TooManyBookings, service.OfferGone, service.NotChangeable):
            pass
        await _invariants()
    assert await BookingWait.filter(status="claimed").exists()
