"""The waiting list (候补): a resident joins a full slot; a freed place is offered to the first waiting
resident at once (inside the transaction that freed it) and held for them (``booking_hold_minutes``,
counted in the slot's ``taken``); unclaimed holds expire (checked every 20 s) and go to the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.booking.models import Booking, BookingSlot, BookingWait
from app.booking.service import catalog, notify, store
from app.booking.service.bookings import Confirmation, clean_name, confirmation, schedule_reminders
from app.booking.service.errors import BookingNotFound, OfferGone, SlotNotOffered
from app.config import get_settings
from app.core import pii
from app.core.clock import utcnow
from app.errors import InvalidInput


async def join(*, point_code: str, service_code: str, starts_at: datetime, name: str, phone: str,
               description: str = "", account_key: str | None = None, openid: str | None = None,
               resident_id: int | None = None, board_code: str | None = None,
               now: datetime | None = None) -> BookingWait:
    """Join the waiting list of an offered slot (once per person and slot)."""
    now = (now or utcnow()).astimezone(UTC)
    name = clean_name(name)
    phone = pii.normalize_phone(phone)
    slot = await catalog.check_offered(point_code=point_code, service_code=service_code, starts_at=starts_at, now=now)
    if slot is None:
        raise SlotNotOffered()
    row = await store.slot_row(point_code=point_code, service_code=service_code, starts_at=slot.starts_at)
    phone_hash = pii.lookup_hash(phone)
    try:
        w = await BookingWait.create(slot_id=row.id, name=name, phone_enc=pii.encrypt(phone), phone_hash=phone_hash,
                                     phone_masked=pii.mask_phone(phone), description=(description or "")[:300],
                                     account_key=account_key, openid=openid, resident_id=resident_id,
                                     board_code=board_code, wait_key=f"{row.id}:{phone_hash}")
    except IntegrityError:
        w = await BookingWait.get(wait_key=f"{row.id}:{phone_hash}")
    # a place may have freed meanwhile: offer it now
    async with in_transaction():
        await offer_next(slot_id=row.id, now=now)
    return await BookingWait.get(id=w.id)


async def position(wait_id: int) -> int:
    w = await BookingWait.get(id=wait_id)
    if w.status != "waiting":
        return 0
    return await BookingWait.filter(slot_id=w.slot_id, status="waiting", id__lte=w.id).count()


async def offer_next(*, slot_id: int, now: datetime) -> int | None:
    """Inside the caller's transaction: hold a free place of the slot for the first waiting resident.
    Returns the offered wait's id, or None (nobody waiting, no place, or the slot has begun)."""
    slot = await BookingSlot.get(id=slot_id)
    if slot.starts_at <= now:
        return None
    first = await BookingWait.filter(slot_id=slot_id, status="waiting").order_by("id").first()
    if first is None:
        return None
    capacity = await catalog.capacity_of(point_code=slot.point_code, service_code=slot.service_code,
                                         starts_at=slot.starts_at)
    if not await store.take_place(slot_id, capacity):
        return None
    hold_until = min(now + timedelta(minutes=get_settings().booking_hold_minutes), slot.starts_at)
    done = await BookingWait.filter(id=first.id, status="waiting").update(status="offered", offered_at=now,
                                                                           hold_until=hold_until)
    if not done:
        raise OfferGone()  # rolls the hold back with the caller's transaction
    svc = await catalog.get_service(slot.service_code)
    await notify.to_resident(
        account_key=first.account_key, openid=first.openid, ref=f"booking:wait:{first.id}:offer",
        text=f"您候补的 {svc.name}（{catalog.slot_label(slot.starts_at)}）有空位了，已为您保留到 "
             f"{catalog.slot_label(hold_until)[-5:]}。回复“确认候补”即可预约成功，逾期自动让给下一位。")
    return first.id


async def claim(*, wait_id: int | None = None, phone: str | None = None, openid: str | None = None,
                now: datetime | None = None) -> Confirmation:
    """Turn a held offer into a booking (no new place is taken: the hold already counts)."""
    now = (now or utcnow()).astimezone(UTC)
    qs = BookingWait.filter(status="offered", hold_until__gt=now)
    if wait_id is not None:
        qs = qs.filter(id=wait_id)
    if openid:
        qs = qs.filter(openid=openid)
    elif phone:
        try:
            qs = qs.filter(phone_hash=pii.lookup_hash(pii.normalize_phone(phone)))
        except InvalidInput:
            raise BookingNotFound() from None
    elif wait_id is None:
        raise BookingNotFound()
    w = await qs.order_by("hold_until").first()
    if w is None:
        raise OfferGone()
    slot = await BookingSlot.get(id=w.slot_id)
    svc = await catalog.get_service(slot.service_code)
    point = await catalog.point(slot.point_code)

    async def attempt() -> Booking:
        async with in_transaction():
            await store.lock_person(w.phone_hash)
            done = await BookingWait.filter(id=w.id, status="offered", hold_until__gt=now).update(
                status="claimed", wait_key=None)
            if not done:
                raise OfferGone()
            b = await Booking.create(
                code=store.new_code(), slot_id=slot.id, point_code=slot.point_code, unit_code=point.unit_code,
                service_code=slot.service_code, starts_at=slot.starts_at,
                ends_at=slot.starts_at + timedelta(minutes=svc.duration), name=w.name, phone_enc=w.phone_enc,
                phone_hash=w.phone_hash, phone_masked=w.phone_masked, description=w.description, channel="waitlist",
                account_key=w.account_key, openid=w.openid, resident_id=w.resident_id, board_code=w.board_code,
                active_key=f"{slot.id}:{w.phone_hash}")
            await BookingWait.filter(id=w.id).update(booking_id=b.id)
            await schedule_reminders(b, now)
            return b

    await store.person_row(w.phone_hash)
    try:
        b = await store.retrying(attempt)
    except IntegrityError:
        raise OfferGone("您在该时段已有预约。") from None
    return await confirmation(b)


async def leave(*, wait_id: int, now: datetime | None = None) -> None:
    """Leave the list; a held place goes to the next one."""
    now = (now or utcnow()).astimezone(UTC)
    async with in_transaction():
        w = await BookingWait.get(id=wait_id)
        if await BookingWait.filter(id=wait_id, status="waiting").update(status="left", wait_key=None):
            return
        if await BookingWait.filter(id=wait_id, status="offered").update(status="left", wait_key=None):
            await store.free_place(w.slot_id)
            await offer_next(slot_id=w.slot_id, now=now)


async def expire_holds(*, now: datetime | None = None) -> int:
    """Offers past their hold: the place is freed and offered to the next waiting resident."""
    now = (now or utcnow()).astimezone(UTC)
    n = 0
    for w in await BookingWait.filter(status="offered", hold_until__lte=now).order_by("hold_until"):
        async def attempt(w: BookingWait = w) -> bool:
            async with in_transaction():
                if not await BookingWait.filter(id=w.id, status="offered", hold_until__lte=now).update(
                        status="expired", wait_key=None):
                    return False
                await store.free_place(w.slot_id)
                await offer_next(slot_id=w.slot_id, now=now)
                return True

        n += int(await store.retrying(attempt))
    return n
