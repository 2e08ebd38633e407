"""What staff do at a point: its day and week, the morning's printable list, check-in and no-show,
cancel with a reason, book on a resident's behalf, the ICS feed of a provider; all within OrgScope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.booking.models import Booking
from app.booking.service import bookings, catalog
from app.booking.service.errors import BookingNotFound, NotChangeable, UnknownPoint
from app.cases import service as cases_service
from app.core.actor import Actor
from app.core.clock import LOCAL_TZ, utcnow
from app.core.scope import OrgScope
from app.staff import service as staff_service


async def points_in_scope(scope: OrgScope) -> list[catalog.PointInfo]:
    return [p for p in await catalog.points_near() if scope.allows(p.unit_code)]


async def point_in_scope(scope: OrgScope, code: str) -> catalog.PointInfo:
    p = await catalog.point(code)
    if not scope.allows(p.unit_code):
        raise UnknownPoint()
    return p


async def booking_in_scope(scope: OrgScope, booking_id: int) -> Booking:
    b = await Booking.filter(id=booking_id).first()
    if b is None or not scope.allows(b.unit_code):
        raise BookingNotFound()
    return b


@dataclass
class DayRow:
    id: int
    code: str
    time: str
    service: str
    name: str
    phone: str
    status: str
    status_zh: str
    description: str
    channel_zh: str
    checklist: list[str]
    resident_id: int | None = None


PROTECTED_NAME = "（受保护居民）"


async def _protected(rows: list[Booking], clearance: int | None) -> set[int]:
    """安全标记: the residents among these bookings whose case is labelled above the reader's clearance."""
    if clearance is None:
        return set()
    return await cases_service.protected_residents(resident_ids=[b.resident_id for b in rows], above=clearance)


def _shield(b: Booking, hidden: set[int]) -> Booking:
    """The booking as a reader not cleared for its resident sees it: the time and code, no name or words."""
    if b.resident_id in hidden:
        b.name, b.phone_masked, b.description = PROTECTED_NAME, "***", ""
    return b


async def day_rows(*, scope: OrgScope, point_code: str, day: date, clearance: int | None = None) -> list[DayRow]:
    """A point's bookings of one day; with ``clearance`` (the reader's), a resident whose case is labelled
    above it shows as 受保护居民 (name, phone and description hidden)."""
    await point_in_scope(scope, point_code)
    names = {s.code: s.name for s in await catalog.services(active_only=False)}
    rows = await bookings.day_list(scope=scope, point_code=point_code, day=day)
    hidden = await _protected(rows, clearance)
    rows = [_shield(b, hidden) for b in rows]
    return [DayRow(id=b.id, code=b.code, time=b.starts_at.astimezone(LOCAL_TZ).strftime("%H:%M"),
                   service=names.get(b.service_code, b.service_code), name=b.name, phone=b.phone_masked,
                   status=b.status, status_zh=bookings.STATUS_ZH.get(b.status, b.status), description=b.description,
                   channel_zh=bookings.CHANNEL_ZH.get(b.channel, b.channel), checklist=list(b.checklist),
                   resident_id=b.resident_id)
            for b in rows]


async def week(*, scope: OrgScope, point_code: str, start: date) -> list[dict[str, Any]]:
    """Seven days from ``start``: per day, the bookings and the places offered (the week view)."""
    await point_in_scope(scope, point_code)
    out: list[dict[str, Any]] = []
    services = await catalog.services()
    for i in range(7):
        d = start + timedelta(days=i)
        booked = len([r for r in await bookings.day_list(scope=scope, point_code=point_code, day=d)])
        places = 0
        for svc in services:
            free = await catalog.free_slots(point_code=point_code, service_code=svc.code, days=[d],
                                            only_free=False, now=datetime.combine(d, time(0), tzinfo=LOCAL_TZ)
                                            .astimezone(UTC) - timedelta(days=1))
            places += sum(s.capacity for s in free)
        out.append({"day": d, "label": f"{d.month}月{d.day}日 {catalog.WEEKDAY_ZH[d.weekday()]}", "booked": booked,
                    "places": places})
    return out


async def record_shown(*, actor: Actor, page: str, rows: list[DayRow], ip: str = "") -> int:
    """等保 audit of a day list shown (names, masked phones, descriptions): one entry per resident shown
    (``resident.listed``), per booking for those booked without a WeChat identity (``booking.listed``)."""
    shown: list[tuple[str, int | str]] = [("resident", r.resident_id) if r.resident_id else ("booking", r.id)
                                          for r in rows]
    return await staff_service.audit_shown(actor=actor, page=page, shown=shown, ip=ip)


async def mark_no_show(*, scope: OrgScope, booking_id: int, now: datetime | None = None) -> None:
    now = (now or utcnow()).astimezone(UTC)
    b = await booking_in_scope(scope, booking_id)
    if b.status != "booked" or b.starts_at > now:
        raise NotChangeable("只能在预约时间之后，把未签到的预约标为未到。")
    await Booking.filter(id=b.id, status="booked").update(status="no_show", no_show_at=now)


def ics(rows: list[Booking], *, names: dict[str, str], points: dict[str, str], calname: str) -> str:
    """An iCalendar feed (RFC 5545): times in UTC with a Z, which calendar apps show in local time."""
    def fmt(dt: datetime) -> str:
        return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fawu//booking//ZH", f"X-WR-CALNAME:{esc(calname)}",
             "X-WR-TIMEZONE:Asia/Shanghai"]
    stamp = fmt(utcnow())
    for b in rows:
        lines += ["BEGIN:VEVENT", f"UID:booking-{b.id}@fawu", f"DTSTAMP:{stamp}", f"DTSTART:{fmt(b.starts_at)}",
                  f"DTEND:{fmt(b.ends_at)}",
                  f"SUMMARY:{esc(names.get(b.service_code, b.service_code) + ' ' + b.name + ' ' + catalog.slot_label(b.starts_at))}",
                  f"LOCATION:{esc(points.get(b.point_code, b.point_code))}",
                  f"DESCRIPTION:{esc('预约码 ' + b.code + '；' + b.description)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


async def feed(*, actor: Actor, point_code: str, provider: str = "", ip: str = "") -> str:
    """The ICS feed of a point (and provider, when its plans name one): upcoming held bookings. Each fetch
    is an export of names and descriptions: audited (``booking.ics_exported``, the bookings' ids)."""
    scope = actor.scope
    p = await point_in_scope(scope, point_code)
    qs = Booking.filter(point_code=p.code, status__in=("booked", "checked_in"),
                        starts_at__gte=utcnow() - timedelta(days=1))
    if provider:
        plan_services = {r.service_code for r in await catalog.plans(scope=scope, point_code=p.code)
                         if r.provider == provider}
        qs = qs.filter(service_code__in=list(plan_services) or [""])
    rows = await qs.order_by("starts_at")
    hidden = await _protected(rows, actor.clearance)
    rows = [_shield(b, hidden) for b in rows]
    await staff_service.audit(actor=actor, action="booking.ics_exported", target_type="service_point",
                              target_id=p.code, detail={"provider": provider, "bookings": [b.id for b in rows][:500],
                                                        "residents": sorted({b.resident_id for b in rows
                                                                             if b.resident_id})[:500]}, ip=ip)
    names = {s.code: s.name for s in await catalog.services(active_only=False)}
    return ics(rows, names=names, points={p.code: f"{p.name}（{p.address}）"},
               calname=f"{p.name}{' ' + provider if provider else ''} 预约")


async def stats(*, scope: OrgScope, since: datetime, until: datetime) -> dict[str, Any]:
    """Utilisation and no-show rate over a period (the dashboard), with their denominators."""
    qs = scope.apply(Booking.filter(starts_at__gte=since, starts_at__lt=until), "unit_code")
    rows = await qs.values("status")
    total = len(rows)
    by = {s: sum(1 for r in rows if r["status"] == s) for s in bookings.STATUS_ZH}
    due = by["checked_in"] + by["no_show"]
    return {"total": total, "by_status": by, "no_show_rate": (by["no_show"] / due) if due else None,
            "no_show_denominator": due}
