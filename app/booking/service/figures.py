"""Booking figures: utilisation (places booked out of places offered) and the no-show rate, per point and
service (the booking console) and per township and month (the analytics hook), each with its denominator.

Places offered are the capacity of the slots the weekly plans and one-off changes give for the days of the
period (plans as kept now: a plan removed from the schedule no longer counts for the past). Places booked
are bookings not cancelled or moved (booked, checked in, no-show); the no-show rate is no-shows out of the
appointments that were due (checked in + no-show). Counts are grouped by the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.functions import Count

from app.booking import slots
from app.booking.models import Booking, BookingDayChange, BookingPlan
from app.booking.service import catalog
from app.core.clock import LOCAL_TZ
from app.core.scope import OrgScope
from app.org import service as org

KEPT = ("booked", "checked_in", "no_show")  # bookings that hold (or held) their place


@dataclass
class UseRow:
    """One point and service (or a total) over a period."""

    point_code: str
    point_name: str
    service_code: str
    service_name: str
    unit_code: str
    offered: int = 0
    booked: int = 0
    attended: int = 0
    no_show: int = 0

    @property
    def utilisation(self) -> float | None:
        return round(100.0 * self.booked / self.offered, 1) if self.offered else None

    @property
    def due(self) -> int:
        return self.attended + self.no_show

    @property
    def no_show_rate(self) -> float | None:
        return round(100.0 * self.no_show / self.due, 1) if self.due else None


def _days(since: datetime, until: datetime) -> list[date]:
    first, last = since.astimezone(LOCAL_TZ).date(), (until - timedelta(microseconds=1)).astimezone(LOCAL_TZ).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def offered(*, since: datetime, until: datetime, point_codes: list[str] | None = None) -> dict[tuple[str, str], int]:
    """Places offered per (point, service) for the slots starting in [since, until)."""
    plans = BookingPlan.filter(active=True)
    days = _days(since, until)
    changes = BookingDayChange.filter(day__gte=days[0], day__lte=days[-1])
    if point_codes is not None:
        plans, changes = plans.filter(point_code__in=point_codes), changes.filter(point_code__in=point_codes)
    plan_rows, change_rows = await plans, await changes
    pairs = {(r.point_code, r.service_code) for r in plan_rows}
    pairs |= {(r.point_code, r.service_code) for r in change_rows if r.kind == "extra" and r.service_code}
    sessions = [slots.Session(point=r.point_code, service=r.service_code, weekday=r.weekday,
                              start=slots.parse_hhmm(r.start), end=slots.parse_hhmm(r.end), capacity=r.capacity,
                              provider=r.provider, valid_from=r.valid_from, valid_until=r.valid_until) for r in plan_rows]
    closures = [slots.Closure(point=r.point_code, day=r.day, service=r.service_code,
                              start=slots.parse_hhmm(r.start) if r.start else None,
                              end=slots.parse_hhmm(r.end) if r.end else None)
                for r in change_rows if r.kind == "closure"]
    extras = [slots.Extra(point=r.point_code, service=r.service_code, day=r.day, start=slots.parse_hhmm(r.start),
                          end=slots.parse_hhmm(r.end), capacity=r.capacity, provider=r.provider)
              for r in change_rows if r.kind == "extra"]
    out: dict[tuple[str, str], int] = {}
    for point_code, service_code in sorted(pairs):
        try:
            rules = catalog.rules_for(await catalog.get_service(service_code))
        except catalog.UnknownService:
            continue
        my_sessions = [s for s in sessions if s.point == point_code and s.service == service_code]
        my_closures = [c for c in closures if c.point == point_code]
        my_extras = [e for e in extras if e.point == point_code and e.service == service_code]
        total = 0
        for day in days:
            for s in slots.day_slots(day=day, point=point_code, service=service_code, sessions=my_sessions,
                                     closures=my_closures, extras=my_extras, rules=rules, judge=catalog.judge):
                if since <= s.starts_at < until:
                    total += s.capacity
        out[(point_code, service_code)] = total
    return out


async def _counts(since: datetime, until: datetime, scope: OrgScope | None) -> list[dict[str, Any]]:
    qs = Booking.filter(starts_at__gte=since, starts_at__lt=until, status__in=KEPT)
    if scope is not None:
        qs = scope.apply(qs, "unit_code")
    return list(await qs.annotate(n=Count("id")).group_by("point_code", "service_code", "unit_code", "status")
                .values("point_code", "service_code", "unit_code", "status", "n"))


async def use_table(*, scope: OrgScope, since: datetime, until: datetime) -> tuple[list[UseRow], UseRow]:
    """Per point and service in the actor's scope, and their total (the booking console)."""
    points = {p.code: p for p in await org.all_service_points()}
    mine = [code for code, p in points.items() if scope.allows(p.unit.code)]
    names = {s.code: s.name for s in await catalog.services(active_only=False)}
    rows: dict[tuple[str, str], UseRow] = {}

    def row(point_code: str, service_code: str, unit_code: str) -> UseRow:
        key = (point_code, service_code)
        if key not in rows:
            p = points.get(point_code)
            rows[key] = UseRow(point_code, p.name if p else point_code, service_code,
                               names.get(service_code, service_code), unit_code)
        return rows[key]

    for (point_code, service_code), n in (await offered(since=since, until=until, point_codes=mine)).items():
        row(point_code, service_code, points[point_code].unit.code).offered = n
    for c in await _counts(since, until, scope):
        r = row(c["point_code"], c["service_code"], c["unit_code"])
        r.booked += c["n"]
        if c["status"] == "checked_in":
            r.attended += c["n"]
        elif c["status"] == "no_show":
            r.no_show += c["n"]
    out = sorted(rows.values(), key=lambda r: (r.point_code, r.service_code))
    total = UseRow("", "合计", "", "", "", offered=sum(r.offered for r in out), booked=sum(r.booked for r in out),
                   attended=sum(r.attended for r in out), no_show=sum(r.no_show for r in out))
    return out, total


async def for_analytics(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """analytics.figures_requested: ``bookings`` (count and distinct residents by place, service and channel)
    and ``booking_use`` (places offered, booked, attended, no-shows per township and the district)."""
    tree = await org.tree()

    def place(unit_code: str) -> tuple[str, str]:
        info = tree.get(unit_code)
        if info is None:
            return "", ""
        township = info.township_code or (info.code if info.kind == "township" else "")
        community = info.code if info.kind in ("community", "village") else ""
        return township or "", community

    out: list[dict[str, Any]] = []
    base = Booking.filter(starts_at__gte=since, starts_at__lt=until, status__in=KEPT)

    async def grouped(*by: str) -> list[dict[str, Any]]:
        return list(await base.annotate(n=Count("id"), residents=Count("phone_hash", distinct=True))
                    .group_by(*by).values(*by, "n", "residents"))

    def add(source: str, grain: str, township: str, community: str, dim: str, count: int, residents: int) -> None:
        out.append({"source": source, "grain": grain, "township_code": township, "community_code": community,
                    "dim": dim, "count": count, "residents": residents})

    for dim_field, dim in (("service_code", "category"), ("channel", "channel")):
        for r in await grouped("unit_code", dim_field):
            township, community = place(r["unit_code"])
            add("bookings", dim, township, "", r[dim_field], r["n"], r["residents"])
            if community and dim == "category":
                add("bookings", "community_category", township, community, r[dim_field], r["n"], r["residents"])
        for r in await grouped(dim_field):
            add("bookings", f"district_{dim}", "", "", r[dim_field], r["n"], r["residents"])
    for r in await grouped("unit_code"):
        township, community = place(r["unit_code"])
        add("bookings", "total", township, "", "", r["n"], r["residents"])
        if community:
            add("bookings", "community_total", township, community, "", r["n"], r["residents"])
    total = await base.annotate(n=Count("id"), residents=Count("phone_hash", distinct=True)).values("n", "residents")
    if total and total[0]["n"]:
        add("bookings", "district_total", "", "", "", total[0]["n"], total[0]["residents"])
    # utilisation and no-shows per township (and the district): places are not residents, never suppressed
    points = {p.code: p.unit.code for p in await org.all_service_points()}
    use: dict[str, dict[str, int]] = {}

    def bump(township: str, dim: str, n: int) -> None:
        for key in (township, "*"):
            use.setdefault(key, {}).setdefault(dim, 0)
            use[key][dim] += n

    for (point_code, _), n in (await offered(since=since, until=until)).items():
        bump(place(points.get(point_code, ""))[0], "places", n)
    for c in await _counts(since, until, None):
        township = place(c["unit_code"])[0]
        bump(township, "booked", c["n"])
        if c["status"] in ("checked_in", "no_show"):
            bump(township, "attended" if c["status"] == "checked_in" else "no_show", c["n"])
    for key, dims in use.items():
        for dim, n in dims.items():
            if key == "*":
                add("booking_use", "district", "", "", dim, n, n)
            else:
                add("booking_use", "township", key, "", dim, n, n)
    return out
