"""The write path's database primitives: the per-slot quota row and its conditional UPDATEs, the
per-person lock row, codes, and the retry of a transaction MariaDB chose as a deadlock victim.

Never overbooked: a place is taken only by ``UPDATE booking_slot SET taken = taken + 1 WHERE id = ?
AND taken < capacity`` inside the booking's transaction (one row lock, pretix's lock per quota). The
capacity in the WHERE is computed from the schedule at write time by the same function that lists the
slots. Lock order inside a transaction: the person row first, then slot rows by id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from app.booking.models import BookingPerson, BookingSlot
from app.core.retry import retry_transaction

log = logging.getLogger("fawu.booking")
T = TypeVar("T")
CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B: read out at the desk
RETRIES = 6


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


async def retrying(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a transaction function again when the database picked it as a deadlock victim (MariaDB
    1213) or a lock wait timed out: the whole transaction was rolled back, so running it again is safe."""
    return await retry_transaction(fn, what="booking", tries=RETRIES)


async def slot_row(*, point_code: str, service_code: str, starts_at: datetime) -> BookingSlot:
    """The quota row of a slot, created on first use (outside any transaction; a race creates one)."""
    row = await BookingSlot.filter(point_code=point_code, service_code=service_code, starts_at=starts_at).first()
    if row is not None:
        return row
    try:
        return await BookingSlot.create(point_code=point_code, service_code=service_code, starts_at=starts_at)
    except IntegrityError:
        row = await BookingSlot.filter(point_code=point_code, service_code=service_code,
                                       starts_at=starts_at).first()
        assert row is not None
        return row


async def person_row(phone_hash: str) -> None:
    """Make sure the person's lock row exists (outside the transaction)."""
    if await BookingPerson.exists(phone_hash=phone_hash):
        return
    try:
        await BookingPerson.create(phone_hash=phone_hash)
    except IntegrityError:
        pass  # another request created it


async def lock_person(phone_hash: str) -> None:
    """Inside a transaction: take the person's row lock (every write of their bookings goes through it)."""
    await BookingPerson.filter(phone_hash=phone_hash).update(writes=F("writes") + 1)


async def seen_full(slot_id: int, capacity: int) -> bool:
    """Inside a transaction, before any lock: whether the slot is already full as committed (a plain read).
    Only a shortcut for the losers of a burst; a place is still taken only by ``take_place``."""
    taken = await BookingSlot.filter(id=slot_id).first().values_list("taken", flat=True)
    return taken is not None and int(str(taken)) >= capacity


async def take_place(slot_id: int, capacity: int) -> bool:
    """Inside a transaction: take one place of the slot if one is left (the database decides)."""
    return bool(await BookingSlot.filter(id=slot_id, taken__lt=capacity).update(taken=F("taken") + 1))


async def free_place(slot_id: int) -> None:
    await BookingSlot.filter(id=slot_id, taken__gt=0).update(taken=F("taken") - 1)
