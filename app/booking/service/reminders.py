"""Reminders the day before and two hours before: exactly once each (a compare-and-set on the booking
and the message queued in the same transaction, so a worker killed mid-run either did both or
neither), none for cancelled or moved bookings (the job carries the start it was made for), none in
quiet hours (a job due inside them waits until they end)."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app.booking.models import Booking
from app.booking.service import catalog, notify
from app.booking.service.bookings import after_quiet_hours, in_quiet_hours
from app.core.clock import utcnow
from app.jobs import service as jobs

FIELD = {"day": "reminded_day_at", "soon": "reminded_soon_at"}


def reminder_text(*, kind: str, service_name: str, point_name: str, address: str, starts_at: datetime,
                  code: str) -> str:
    when = catalog.slot_label(starts_at)
    head = "明天" if kind == "day" else "两小时后"
    return (f"预约提醒：您{head}有预约。\n{service_name}｜{when}\n{point_name}（{address}）\n"
            f"预约码 {code}，到场报码签到。不能来请回复“取消预约 {code}”。")


async def remind(*, booking_id: int, kind: str, starts_at: str, now: datetime | None = None) -> str:
    """Send one reminder; answers what happened: sent, skipped (why) or deferred (quiet hours)."""
    now = (now or utcnow()).astimezone(UTC)
    b = await Booking.filter(id=booking_id).first()
    if b is None or b.status != "booked":
        return "skipped:status"
    if b.starts_at.isoformat() != starts_at:
        return "skipped:moved"
    if b.starts_at <= now:
        return "skipped:past"
    if in_quiet_hours(now):
        later = after_quiet_hours(now)
        if later >= b.starts_at:
            return "skipped:quiet"
        await jobs.enqueue("booking.remind", {"booking_id": b.id, "kind": kind, "starts_at": starts_at},
                           run_at=later, dedupe_key=f"booking.remind:{b.id}:{kind}:{int(b.starts_at.timestamp())}:"
                                                    f"{int(later.timestamp())}")
        return "deferred"
    if not b.openid:
        return "skipped:no_wechat"
    svc = await catalog.get_service(b.service_code)
    point = await catalog.point(b.point_code)
    async with in_transaction():
        done = await Booking.filter(id=b.id, status="booked", starts_at=b.starts_at,
                                    **{f"{FIELD[kind]}__isnull": True}).update(**{FIELD[kind]: now})
        if not done:
            return "skipped:already"
        await notify.to_resident(account_key=b.account_key, openid=b.openid, ref=f"booking:{b.id}:remind:{kind}",
                                 text=reminder_text(kind=kind, service_name=svc.name, point_name=point.name,
                                                    address=point.address, starts_at=b.starts_at, code=b.code))
    return "sent"
