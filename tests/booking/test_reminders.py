"""B6: reminders the day before and two hours before, exactly once each with the worker killed mid-run,
none for cancelled or moved bookings, none between 21:00 and 08:00; B7: one clock everywhere."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.booking import service
from app.booking.models import Booking
from app.core import clock
from app.core.clock import LOCAL_TZ
from tests.booking.conftest import NOW, POINT, SERVICE, SLOT_AT


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ).astimezone(UTC)


async def _book(phone: str = "13300000000", at: datetime = SLOT_AT) -> Booking:
    conf = await service.book(point_code=POINT, service_code=SERVICE, starts_at=at, name="孙八", phone=phone,
                              channel="chat", account_key="yx_taoyuan", openid=f"o_rem_{phone[-4:]}", now=NOW)
    return await Booking.get(code=conf.code)


async def _sent(b: Booking, kind: str) -> int:
    from app.wechat.models import PendingDelivery

    return await PendingDelivery.filter(ref=f"booking:{b.id}:remind:{kind}").count()


async def _run_due(drain_jobs: Any, at: datetime) -> None:
    clock.freeze(at)
    from app.jobs.models import Job

    # the delivery itself (a customer-service message) is the engine's: leave it queued here
    await Job.filter(name="wechat.flush_pending").delete()
    await drain_jobs(now=at)
    await Job.filter(name="wechat.flush_pending").delete()


def test_reminder_times_are_never_in_quiet_hours(settings: Any) -> None:
    rng = random.Random(6)
    for _ in range(5000):
        now = local(2026, 12, 1, 0) + timedelta(minutes=rng.randrange(0, 20 * 24 * 60))
        starts = now + timedelta(minutes=rng.randrange(120, 14 * 24 * 60, 30))
        for kind, at in service.reminder_times(starts_at=starts, now=now).items():
            t = at.astimezone(LOCAL_TZ).time()
            assert not (t.hour >= 21 or t.hour < 8), (kind, now, starts, at)
            assert now - timedelta(minutes=1) <= at < starts
    got = service.reminder_times(starts_at=SLOT_AT, now=NOW)  # Tuesday 09:00 booked Monday 08:00
    assert got == {"day": local(2026, 12, 7, 10), "soon": local(2026, 12, 8, 8)}  # 07:00 is quiet: 08:00


async def test_each_reminder_once_even_when_the_worker_dies(plan: Any, drain_jobs: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from app.booking.service import notify
    from app.jobs.models import Job

    b = await _book()
    # 1) the worker dies inside the reminder's transaction (after marking, before the message): rolled back
    real = notify.to_resident

    async def dies(**kw: Any) -> bool:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(notify, "to_resident", dies)
    await _run_due(drain_jobs, local(2026, 12, 7, 10))
    assert await _sent(b, "day") == 0 and (await Booking.get(id=b.id)).reminded_day_at is None
    monkeypatch.setattr(notify, "to_resident", real)
    # 2) retried later: sent once
    await Job.filter(name="booking.remind", status="pending").update(run_at=local(2026, 12, 7, 10, 5))
    await _run_due(drain_jobs, local(2026, 12, 7, 10, 6))
    assert await _sent(b, "day") == 1
    # 3) the worker dies after committing, before marking the job done: the job is claimed again
    await Job.filter(name="booking.remind").update(status="running", locked_until=local(2026, 12, 7, 10, 7))
    await _run_due(drain_jobs, local(2026, 12, 7, 11))
    assert await _sent(b, "day") == 1
    # the two-hours reminder at 08:00 (07:00 is in quiet hours), once
    await Job.filter(name="booking.remind", status__in=("running", "pending"),
                     run_at__lt=local(2026, 12, 8, 7)).update(status="done")
    await _run_due(drain_jobs, local(2026, 12, 8, 8))
    await _run_due(drain_jobs, local(2026, 12, 8, 8, 30))
    assert await _sent(b, "soon") == 1 and await _sent(b, "day") == 1
    msg = await _message(b, "soon")
    assert "两小时后" in msg and "12月8日 周二 09:00" in msg


async def _message(b: Booking, kind: str) -> str:
    from app.wechat.models import PendingDelivery

    row = await PendingDelivery.get(ref=f"booking:{b.id}:remind:{kind}")
    return str(row.payload["text"])


async def test_no_reminder_for_cancelled_or_moved_and_none_at_night(plan: Any, drain_jobs: Any) -> None:
    cancelled = await _book("13300000001")
    moved = await _book("13300000002")
    await service.cancel(booking_id=cancelled.id, now=NOW)
    await service.move(booking_id=moved.id, starts_at=local(2026, 12, 9, 10), now=NOW)
    await _run_due(drain_jobs, local(2026, 12, 7, 10))
    await _run_due(drain_jobs, local(2026, 12, 8, 8))
    assert await _sent(cancelled, "day") == await _sent(cancelled, "soon") == 0
    assert await _sent(moved, "day") == 0 and await _sent(moved, "soon") == 0  # the old time's reminders
    # a worker that was down runs the new day-before reminder at 23:00: it waits for 08:00
    from app.jobs.models import Job

    await Job.filter(name="booking.remind", status="pending").update(run_at=local(2026, 12, 8, 22))
    await _run_due(drain_jobs, local(2026, 12, 8, 23))
    assert await _sent(moved, "day") == 0
    await _run_due(drain_jobs, local(2026, 12, 9, 8))
    assert await _sent(moved, "day") == 1
    msg = await _message(moved, "day")
    assert "12月9日 周三 10:00" in msg


async def test_one_clock_chat_api_page_and_reminder_say_the_same_local_time(plan: Any, client: Any) -> None:
    """B7: the slot written the same way wherever a resident or staff member reads it."""
    b = await _book("13300000003")
    conf = await service.confirmation(b)
    label = "12月8日 周二 09:00"
    assert conf.when == label and label in conf.text()
    r = await client.get(f"/api/booking/bookings/{b.code}", params={"phone": "13300000003"})
    assert r.json()["booking"]["local_time"] == label
    assert r.json()["booking"]["starts_at"] == "2026-12-08T01:00:00+00:00"
    r = await client.post("/booking/manage", data={"code": b.code, "phone": "13300000003"},
                          headers={"accept": "text/html"})
    assert label in r.text
