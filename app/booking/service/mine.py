"""A resident's own bookings, found by who they are (the resident, or any of their WeChat identities),
for the mini-program's 我的预约: listing, and one booking by its code, never someone else's."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q

from app.booking.models import Booking
from app.booking.service.errors import BookingNotFound
from app.core.clock import utcnow


def _who(resident_id: int, openids: list[str]) -> Q:
    cond = Q(resident_id=resident_id)
    if openids:
        cond |= Q(openid__in=openids)
    return cond


async def of_resident_id(*, resident_id: int, openids: list[str] | None = None, days_back: int = 90,
                         now: datetime | None = None, limit: int = 50) -> list[Booking]:
    """The resident's bookings from ``days_back`` days ago on (upcoming and recent, every status),
    soonest first."""
    since = (now or utcnow()) - timedelta(days=days_back)
    return await Booking.filter(_who(resident_id, openids or [])).filter(
        starts_at__gte=since).order_by("starts_at", "id").limit(limit)


async def find_for_resident(*, code: str, resident_id: int, openids: list[str] | None = None) -> Booking:
    """One booking of the resident by its code; BookingNotFound for an unknown code and for another
    resident's alike (codes cannot be probed)."""
    b = await Booking.filter(_who(resident_id, openids or [])).filter(code=(code or "").strip().upper()[:8]).first()
    if b is None:
        raise BookingNotFound()
    return b
