"""The bookings' personal data: a resident's erasure (删除权) and access request (查阅、复制).

Erasure keeps each booking's skeleton for the statistics (service, point, time, status, channel) and
removes who booked it: name, phone (encrypted, masked and its lookup hash, replaced by one random token
per erasure so "residents served" still counts them once), description, WeChat identity and the keys
built from them. Their future bookings are cancelled and the places go to the waiting list; their
waiting-list entries end; their answers to the reminders' subscription pop-up go.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from app.booking.models import Booking, BookingConsent, BookingPerson, BookingWait
from app.booking.service import catalog, store, waitlist
from app.booking.service.bookings import CHANNEL_ZH, HOLDING, STATUS_ZH
from app.booking.service.errors import UnknownPoint
from app.core import pii
from app.core.clock import format_local, utcnow

ERASED_NAME = "（已删除）"
ERASED_REASON = "居民个人信息已删除"


def _whose(resident_id: int, accounts: list[tuple[str, str]]) -> Q:
    cond = Q(resident_id=resident_id)
    for account_key, openid in accounts:
        cond |= Q(account_key=account_key, openid=openid)
    return cond


async def erase(*, resident_id: int, accounts: list[tuple[str, str]], now: datetime | None = None) -> dict[str, int]:
    """Inside the erasure's transaction: cancel the resident's future bookings (the freed places are
    offered to the waiting list), end their waits, and remove their personal data from every row."""
    now = (now or utcnow()).astimezone(UTC)
    token = f"erased:{secrets.token_hex(16)}"
    rows = await Booking.filter(_whose(resident_id, accounts)).order_by("id")
    cancelled = 0
    for b in rows:
        if b.status in HOLDING and b.starts_at > now:
            if await Booking.filter(id=b.id, status__in=HOLDING).update(
                    status="cancelled", active_key=None, cancelled_at=now, cancelled_by="系统",
                    cancel_reason=ERASED_REASON):
                await store.free_place(b.slot_id)
                await waitlist.offer_next(slot_id=b.slot_id, now=now)
                cancelled += 1
    hashes = {b.phone_hash for b in rows}
    if rows:
        await Booking.filter(id__in=[b.id for b in rows]).update(
            name=ERASED_NAME, phone_enc="", phone_hash=token, phone_masked="", description="",
            openid=None, resident_id=None, request_key=None, active_key=None)
    waits = await BookingWait.filter(_whose(resident_id, accounts)).order_by("id")
    for w in waits:
        if await BookingWait.filter(id=w.id, status="waiting").update(status="left", wait_key=None):
            continue
        if await BookingWait.filter(id=w.id, status="offered").update(status="left", wait_key=None):
            await store.free_place(w.slot_id)
            await waitlist.offer_next(slot_id=w.slot_id, now=now)
    hashes |= {w.phone_hash for w in waits}
    if waits:
        await BookingWait.filter(id__in=[w.id for w in waits]).update(
            name=ERASED_NAME, phone_enc="", phone_hash=token, phone_masked="", description="", openid=None,
            resident_id=None, wait_key=None)
    still_used = set(await Booking.filter(phone_hash__in=list(hashes)).values_list("phone_hash", flat=True))
    await BookingPerson.filter(phone_hash__in=list(hashes - still_used)).delete()
    consents = 0
    for account_key, openid in accounts:
        consents += await BookingConsent.filter(account_key=account_key, openid=openid).delete()
    return {"bookings": len(rows), "bookings_cancelled": cancelled, "booking_waits": len(waits),
            "booking_consents": consents}


async def _point_name(code: str) -> str:
    try:
        return (await catalog.point(code)).name
    except UnknownPoint:
        return code  # a point closed since


async def export(*, resident_id: int, accounts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The resident's bookings and waits, decrypted, for their access request."""
    out: list[dict[str, Any]] = []
    names = {s.code: s.name for s in await catalog.services(active_only=False)}
    for b in await Booking.filter(_whose(resident_id, accounts)).order_by("id"):
        out.append({
            "kind": "预约", "code": b.code, "service": names.get(b.service_code, b.service_code),
            "point": await _point_name(b.point_code), "time": catalog.slot_label(b.starts_at), "status": STATUS_ZH.get(b.status, b.status),
            "channel": CHANNEL_ZH.get(b.channel, b.channel), "name": b.name,
            "phone": pii.decrypt(b.phone_enc) if b.phone_enc else "", "description": b.description,
            "created_at": format_local(b.created_at), "cancel_reason": b.cancel_reason,
        })
    for w in await BookingWait.filter(_whose(resident_id, accounts)).order_by("id").prefetch_related("slot"):
        out.append({
            "kind": "候补", "service": names.get(w.slot.service_code, w.slot.service_code),
            "point": await _point_name(w.slot.point_code), "time": catalog.slot_label(w.slot.starts_at),
            "status": w.status, "name": w.name, "phone": pii.decrypt(w.phone_enc) if w.phone_enc else "",
            "description": w.description, "created_at": format_local(w.created_at),
        })
    return out


async def purge(*, before: datetime) -> int:
    """The retention period passed (``residents.retention_due``): bookings whose appointment began before
    the cutoff, and waits created before it that no longer wait, lose who made them (the skeleton stays)."""
    n = 0
    for b in await Booking.filter(starts_at__lt=before, phone_enc__not="").exclude(status__in=HOLDING):
        n += await Booking.filter(id=b.id).update(
            name=ERASED_NAME, phone_enc="", phone_hash=f"purged:{secrets.token_hex(16)}", phone_masked="",
            description="", openid=None, resident_id=None, request_key=None)
    n += await BookingWait.filter(created_at__lt=before, phone_enc__not="",
                                  status__in=("left", "expired", "claimed")).update(
        name=ERASED_NAME, phone_enc="", phone_hash="purged", phone_masked="", description="", openid=None,
        resident_id=None, wait_key=None)
    return n
