"""What residents can book and when: services (content/booking/services.toml, edited in the console),
weekly plans per provider and point, one-off closures and extra sessions, and the slots they make."""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tortoise.transactions import in_transaction

from app.booking import slots
from app.booking.models import BookingDayChange, BookingPlan, BookingService, BookingSlot
from app.booking.service.errors import BadPlan, PlanNotFound, SlotNotOffered, UnknownPoint, UnknownService
from app.catalog import service as catalog_service
from app.config import get_settings
from app.core import calendar
from app.core.clock import LOCAL_TZ, utcnow
from app.core.scope import OrgScope
from app.org import service as org

WEEKDAY_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
POINT_KIND_ZH = {"centre": "公共法律服务中心", "station": "工作站", "workroom": "工作室"}
SERVICE_FIELDS = ("name", "duration", "buffer", "capacity", "providers", "documents", "checklist", "legal_basis",
                  "case_type")


@dataclass(frozen=True)
class PointInfo:
    code: str
    name: str
    kind: str
    unit_code: str
    address: str
    phone: str
    latitude: float | None
    longitude: float | None

    @property
    def map_url(self) -> str:
        """A map link residents open in WeChat (Amap's public URI API)."""
        if self.latitude is not None and self.longitude is not None:
            return f"https://uri.amap.com/marker?position={self.longitude},{self.latitude}&name={quote(self.name)}"
        return f"https://uri.amap.com/search?keyword={quote(self.address or self.name)}"


def _point_info(p: Any) -> PointInfo:
    return PointInfo(code=p.code, name=p.name, kind=p.kind, unit_code=p.unit.code, address=p.address,
                     phone=p.phone, latitude=p.latitude, longitude=p.longitude)


CACHE_SECONDS = 5.0  # services and points change rarely (console, org import): read at most this often
_points: dict[str, tuple[float, PointInfo | None]] = {}
_services: dict[str, tuple[float, BookingService | None]] = {}
# the next free slots offered with "已约满", per (point, service, full slot): bookings.full_error's
next_free_cache: dict[tuple[str, str, datetime], tuple[float, list[dict[str, Any]]]] = {}


def forget_cached() -> None:
    _points.clear()
    _services.clear()
    next_free_cache.clear()


async def point(code: str) -> PointInfo:
    hit = _points.get(code)
    if hit is not None and hit[1] is not None and time.monotonic() - hit[0] <= CACHE_SECONDS:
        return hit[1]
    p = await org.service_point(code)
    if p is None:
        raise UnknownPoint()
    info = _point_info(p)
    _points[code] = (time.monotonic(), info)
    return info


async def points_near(*, community_code: str | None = None) -> list[PointInfo]:
    """Every active service point, the resident's own (community, township, centre) first."""
    first: list[PointInfo] = []
    if community_code:
        try:
            first = [_point_info(p) for p in await org.service_points_for(community_code)]
        except org.UnitNotFound:
            first = []
    seen = {p.code for p in first}
    return first + [_point_info(p) for p in await org.all_service_points() if p.code not in seen]


# ---- services ----

def _check_service(code: str, body: dict[str, Any]) -> dict[str, Any]:
    out = {k: body[k] for k in SERVICE_FIELDS if k in body}
    if not str(out.get("name", "")).strip():
        raise BadPlan(f"服务 {code} 缺少名称。")
    for k in ("duration", "buffer", "capacity"):
        if k in out and (not isinstance(out[k], int) or out[k] < (1 if k != "buffer" else 0) or out[k] > 480):
            raise BadPlan(f"服务 {code} 的 {k} 应为合理的整数（分钟或人数）。")
    for k in ("documents", "checklist"):
        if k in out and not (isinstance(out[k], list) and all(isinstance(x, str) for x in out[k])):
            raise BadPlan(f"服务 {code} 的 {k} 应为文字列表。")
    return out


async def import_services(path: Path) -> int:
    """Load content/booking/services.toml: new services are added, existing ones updated."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rows = data.get("service", [])
    async with in_transaction():
        for i, body in enumerate(rows):
            code = str(body.get("code", "")).strip()
            if not code:
                raise BadPlan(f"{path.name} 第 {i + 1} 个服务缺少 code。")
            fields = _check_service(code, body)
            updated = await BookingService.filter(code=code).update(**fields, sort=i)
            if not updated:
                await BookingService.create(code=code, sort=i, **fields)
    forget_cached()
    return len(rows)


async def import_demo_plans(path: Path) -> int:
    """The demo district's weekly plans (content/booking/plans.toml), only while no plan exists."""
    if await BookingPlan.exists():
        return 0
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    n = 0
    points = {p.code: p for p in await points_near()}
    async with in_transaction():
        for body in data.get("plan", []):
            codes = body["points"] if body["points"] != "*workroom" else [
                c for c, p in points.items() if p.kind == "workroom"]
            for code in codes:
                if code not in points:
                    continue
                for weekday in body["weekdays"]:
                    for span in body["spans"]:
                        start, end = span.split("-")
                        await BookingPlan.create(point_code=code, unit_code=points[code].unit_code,
                                                 service_code=body["service"], provider=body.get("provider", ""),
                                                 weekday=weekday, start=start, end=end,
                                                 capacity=body.get("capacity", 1))
                        n += 1
    return n


def catalogue_ref(code: str) -> str:
    """How the service catalogue's entries name a booking service (in their ``refs``)."""
    return f"booking:{code}"


async def _catalogue_names(rows: list[BookingService]) -> list[BookingService]:
    """The service catalogue is the one source of services' names: each row read shows its entry's name
    (in memory; booking's own name stays the fallback while the catalogue has no entry)."""
    entries = await catalog_service.services_for_refs([catalogue_ref(r.code) for r in rows])
    for r in rows:
        entry = entries.get(catalogue_ref(r.code))
        if entry is not None:
            r.name = entry.name[:40]
    return rows


async def services(*, active_only: bool = True) -> list[BookingService]:
    qs = BookingService.all()
    if active_only:
        qs = qs.filter(active=True)
    return await _catalogue_names(list(await qs.order_by("sort", "code")))


async def get_service(code: str) -> BookingService:
    hit = _services.get(code)
    if hit is not None and hit[1] is not None and time.monotonic() - hit[0] <= CACHE_SECONDS:
        return hit[1]
    svc = await BookingService.filter(code=code, active=True).first()
    if svc is None:
        raise UnknownService()
    await _catalogue_names([svc])
    _services[code] = (time.monotonic(), svc)
    return svc


async def get_any_service(code: str) -> BookingService:
    """A service whether bookable or not (the console's settings), never cached."""
    svc = await BookingService.filter(code=code).first()
    if svc is None:
        raise UnknownService()
    return (await _catalogue_names([svc]))[0]


async def update_service(*, code: str, values: dict[str, Any]) -> BookingService:
    svc = await BookingService.filter(code=code).first()
    if svc is None:
        raise UnknownService()
    fields = _check_service(code, {"name": svc.name, **values})
    if "active" in values:
        fields["active"] = bool(values["active"])
    await BookingService.filter(id=svc.id).update(**fields)
    forget_cached()
    return await get_any_service(code)


def rules_for(svc: BookingService) -> slots.Rules:
    s = get_settings()
    return slots.Rules(duration=svc.duration, buffer=svc.buffer, min_notice=s.booking_min_notice_minutes,
                       max_days=s.booking_max_days_ahead, makeup_weekday=s.booking_makeup_weekday)


def judge(day: date) -> tuple[bool, bool]:
    """The official calendar's answer for a local day: (working day, provisional)."""
    return calendar.is_workday(day), not calendar.is_covered(day.year)


# ---- plans and day changes ----

def _hhmm(value: str) -> str:
    try:
        return slots.parse_hhmm(value).strftime("%H:%M")
    except ValueError as exc:
        raise BadPlan(str(exc)) from exc


async def add_plan(*, scope: OrgScope, point_code: str, service_code: str, weekday: int, start: str, end: str,
                   capacity: int, provider: str = "", valid_from: date | None = None,
                   valid_until: date | None = None, staff_id: int | None = None) -> BookingPlan:
    p = await point(point_code)
    if not scope.allows(p.unit_code):
        raise UnknownPoint()
    await get_service(service_code)
    a, b = _hhmm(start), _hhmm(end)
    if not 0 <= weekday <= 6:
        raise BadPlan("星期应为周一到周日。")
    if b <= a:
        raise BadPlan("结束时间应晚于开始时间。")
    if not 1 <= capacity <= 50:
        raise BadPlan("每个时段可约人数应在 1 到 50 之间。")
    if valid_from and valid_until and valid_until < valid_from:
        raise BadPlan("有效期的结束日期早于开始日期。")
    return await BookingPlan.create(point_code=p.code, unit_code=p.unit_code, service_code=service_code,
                                    provider=provider.strip()[:40], weekday=weekday, start=a, end=b,
                                    capacity=capacity, valid_from=valid_from, valid_until=valid_until,
                                    staff_id=staff_id)


async def update_plan(*, scope: OrgScope, plan_id: int, start: str, end: str, capacity: int | str) -> BookingPlan:
    """Change a weekly session's hours or capacity (the staff member's own points only). Bookings already
    made keep their places; the new capacity counts for every booking from now on."""
    plan = await BookingPlan.filter(id=plan_id, active=True).first()
    if plan is None or not scope.allows(plan.unit_code):
        raise PlanNotFound()
    if not str(capacity).strip().isdigit():
        raise BadPlan("每个时段可约人数应为 1 到 50 之间的整数。")
    places = int(str(capacity).strip())
    a, b = _hhmm(start), _hhmm(end)
    if b <= a:
        raise BadPlan("结束时间应晚于开始时间。")
    if not 1 <= places <= 50:
        raise BadPlan("每个时段可约人数应在 1 到 50 之间。")
    await BookingPlan.filter(id=plan.id).update(start=a, end=b, capacity=places)
    await plan.refresh_from_db()
    return plan


async def remove_plan(*, scope: OrgScope, plan_id: int) -> None:
    plan = await BookingPlan.filter(id=plan_id, active=True).first()
    if plan is None or not scope.allows(plan.unit_code):
        raise PlanNotFound()
    await BookingPlan.filter(id=plan_id).update(active=False)


async def plans(*, scope: OrgScope, point_code: str | None = None) -> list[BookingPlan]:
    qs = BookingPlan.filter(active=True)
    if point_code:
        qs = qs.filter(point_code=point_code)
    qs = scope.apply(qs, "unit_code")
    return await qs.order_by("point_code", "service_code", "weekday", "start")


async def add_day_change(*, scope: OrgScope, point_code: str, kind: str, day: date, service_code: str = "",
                         start: str = "", end: str = "", capacity: int = 1, provider: str = "", reason: str = "",
                         staff_id: int | None = None) -> BookingDayChange:
    p = await point(point_code)
    if not scope.allows(p.unit_code):
        raise UnknownPoint()
    if kind not in ("closure", "extra"):
        raise BadPlan("类型应为“停诊/闭馆”或“加开时段”。")
    a, b = (_hhmm(start), _hhmm(end)) if (start or end) else ("", "")
    if kind == "extra":
        await get_service(service_code)
        if not a or b <= a:
            raise BadPlan("加开时段须填写开始和结束时间。")
        if not 1 <= capacity <= 50:
            raise BadPlan("每个时段可约人数应在 1 到 50 之间。")
    elif a and b <= a:
        raise BadPlan("结束时间应晚于开始时间。")
    return await BookingDayChange.create(point_code=p.code, service_code=service_code, kind=kind, day=day, start=a,
                                         end=b, capacity=capacity, provider=provider.strip()[:40],
                                         reason=reason.strip()[:100], created_by=staff_id)


async def day_changes(*, point_code: str, since: date | None = None) -> list[BookingDayChange]:
    qs = BookingDayChange.filter(point_code=point_code)
    if since:
        qs = qs.filter(day__gte=since)
    return await qs.order_by("day", "start")


async def remove_day_change(*, scope: OrgScope, change_id: int) -> None:
    row = await BookingDayChange.filter(id=change_id).first()
    if row is None:
        raise PlanNotFound("没有找到该记录。")
    p = await point(row.point_code)
    if not scope.allows(p.unit_code):
        raise PlanNotFound("没有找到该记录。")
    await row.delete()


@dataclass
class Schedule:
    sessions: list[slots.Session]
    closures: list[slots.Closure]
    extras: list[slots.Extra]


async def schedule(*, point_code: str, service_code: str) -> Schedule:
    """The plain schedule of one point and service, as the slot functions take it."""
    plan_rows = await BookingPlan.filter(point_code=point_code, service_code=service_code, active=True)
    change_rows = await BookingDayChange.filter(point_code=point_code, day__gte=utcnow().date() - timedelta(days=1))
    sessions = [slots.Session(point=r.point_code, service=r.service_code, weekday=r.weekday,
                              start=slots.parse_hhmm(r.start), end=slots.parse_hhmm(r.end), capacity=r.capacity,
                              provider=r.provider, valid_from=r.valid_from, valid_until=r.valid_until)
                for r in plan_rows]
    closures = [slots.Closure(point=r.point_code, day=r.day, service=r.service_code,
                              start=slots.parse_hhmm(r.start) if r.start else None,
                              end=slots.parse_hhmm(r.end) if r.end else None)
                for r in change_rows if r.kind == "closure"]
    extras = [slots.Extra(point=r.point_code, service=r.service_code, day=r.day, start=slots.parse_hhmm(r.start),
                          end=slots.parse_hhmm(r.end), capacity=r.capacity, provider=r.provider)
              for r in change_rows if r.kind == "extra" and (not r.service_code or r.service_code == service_code)]
    return Schedule(sessions, closures, extras)


@dataclass(frozen=True)
class FreeSlot:
    """A slot as the resident sees it: its start, capacity and the places left."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    left: int
    provisional: bool

    @property
    def label(self) -> str:
        return slot_label(self.starts_at, provisional=self.provisional)

    @property
    def key(self) -> str:
        """The slot's id in forms and the API: its local start, 2026-12-08T09:30."""
        return self.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def slot_label(starts_at: datetime, *, provisional: bool = False) -> str:
    """The one way a slot's time is written (chat, page, mini-program, ICS summary, printed list)."""
    local = starts_at.astimezone(LOCAL_TZ)
    mark = "（暂定）" if provisional else ""
    return f"{local.month}月{local.day}日 {WEEKDAY_ZH[local.weekday()]} {local:%H:%M}{mark}"


def parse_slot_key(value: str) -> datetime:
    """"2026-12-08T09:30" (local) → aware UTC; SlotNotOffered-friendly BadPlan otherwise."""
    try:
        local = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M").replace(tzinfo=LOCAL_TZ)
    except (ValueError, AttributeError) as exc:
        raise SlotNotOffered("预约时间格式不对，请重新选择时间。") from exc
    return local.astimezone(UTC)


async def free_slots(*, point_code: str, service_code: str, now: datetime | None = None,
                     days: list[date] | None = None, only_free: bool = True, limit: int | None = None,
                     after: datetime | None = None, svc: BookingService | None = None,
                     sch: Schedule | None = None) -> list[FreeSlot]:
    """The slots the list offers (the same function the write path checks with), with places left.
    ``svc`` and ``sch``: the service and schedule when the caller has just read them."""
    now = (now or utcnow()).astimezone(UTC)
    svc = svc or await get_service(service_code)
    sch = sch or await schedule(point_code=point_code, service_code=service_code)
    offered = slots.listing(now=now, point=point_code, service=service_code, sessions=sch.sessions,
                            closures=sch.closures, extras=sch.extras, rules=rules_for(svc), judge=judge, days=days)
    if after is not None:
        offered = [s for s in offered if s.starts_at > after]
    taken: dict[datetime, int] = {}
    if offered:
        rows = await BookingSlot.filter(point_code=point_code, service_code=service_code,
                                        starts_at__gte=offered[0].starts_at,
                                        starts_at__lte=offered[-1].starts_at).values("starts_at", "taken")
        taken = {r["starts_at"]: r["taken"] for r in rows}
    out: list[FreeSlot] = []
    for s in offered:
        left = max(0, s.capacity - taken.get(s.starts_at, 0))
        if left or not only_free:
            out.append(FreeSlot(s.starts_at, s.ends_at, s.capacity, left, s.provisional))
            if limit and len(out) >= limit:
                break
    return out


async def check_offered(*, point_code: str, service_code: str, starts_at: datetime,
                        now: datetime | None = None, svc: BookingService | None = None,
                        sch: Schedule | None = None) -> slots.Slot | None:
    """The write path's check: the slot if the list offers it at ``now`` (min notice, days ahead,
    calendar, plan, closures), else None."""
    svc = svc or await get_service(service_code)
    sch = sch or await schedule(point_code=point_code, service_code=service_code)
    return slots.offered(now=now or utcnow(), point=point_code, service=service_code, starts_at=starts_at,
                         sessions=sch.sessions, closures=sch.closures, extras=sch.extras, rules=rules_for(svc),
                         judge=judge)


async def capacity_of(*, point_code: str, service_code: str, starts_at: datetime) -> int:
    """The capacity of a slot by the schedule, ignoring notice and days ahead (waiting-list promotion)."""
    svc = await get_service(service_code)
    sch = await schedule(point_code=point_code, service_code=service_code)
    day = starts_at.astimezone(LOCAL_TZ).date()
    for s in slots.day_slots(day=day, point=point_code, service=service_code, sessions=sch.sessions,
                             closures=sch.closures, extras=sch.extras, rules=rules_for(svc), judge=judge):
        if s.starts_at == starts_at:
            return s.capacity
    return 0
