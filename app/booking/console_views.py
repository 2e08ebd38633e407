"""Staff pages of booking (/console/booking): a point's day (check-in by code, no-show, cancel with a
reason, book at the desk), its week, the printable morning list, the ICS feed, and the schedule
(weekly plans per provider, closures and extra sessions), all limited to the staff member's OrgScope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.booking import service
from app.booking.service import editing
from app.config import get_settings
from app.console.kit import charts
from app.console.kit.auth import client_ip, require_staff
from app.console.kit.layout import render
from app.core.actor import Actor
from app.core.clock import LOCAL_TZ, local_today
from app.errors import FawuError, InvalidInput
from app.staff import service as staff_service
from app.staff.service import NotPermitted

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]
Short = Annotated[str, Form(max_length=200)]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value) if value else local_today()
    except ValueError as exc:
        raise InvalidInput("日期格式应为 YYYY-MM-DD。") from exc


async def _audit(request: Request, actor: Actor, action: str, target_id: str | int, **detail: object) -> None:
    """Every change of a point's schedule is in the audit log (who, what, from where)."""
    await staff_service.audit(actor=actor, action=f"booking.{action}", target_type="booking_schedule",
                              target_id=target_id, detail=dict(detail), ip=client_ip(request))


def _back(path: str, **q: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({k: v for k, v in q.items() if v})}", status_code=303)


async def _point(actor: Actor, code: str) -> service.PointInfo | None:
    points = await service.points_in_scope(actor.scope)
    if code:
        return await service.point_in_scope(actor.scope, code)
    return points[0] if points else None


@router.get("/console/booking", response_class=HTMLResponse)
async def day_page(request: Request, actor: Staff, point: str = "", day: str = "", notice: str = "",
                   error: str = "") -> Response:
    p = await _point(actor, point[:32])
    d = _day(day[:10])
    rows = await service.day_rows(scope=actor.scope, point_code=p.code, day=d,
                                  clearance=actor.clearance) if p else []
    await service.record_shown(actor=actor, page="booking_day", rows=rows, ip=client_ip(request))
    services = await service.services()
    return render(request, "booking/console_day.html", {
        "points": await service.points_in_scope(actor.scope), "p": p, "day": d, "rows": rows,
        "prev": d - timedelta(days=1), "next": d + timedelta(days=1), "services": services,
        "notice": notice[:200], "error": error[:200], "today": local_today(),
        "label": f"{d.month}月{d.day}日 {service.WEEKDAY_ZH[d.weekday()]}"})


@router.get("/console/booking/stats", response_class=HTMLResponse)
async def stats_page(request: Request, actor: Staff, month: str = "") -> Response:
    """Utilisation and no-show rates per point and service for one month (北京时间), with denominators."""
    first = _month(month[:7])
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    since = datetime.combine(first, time(0), tzinfo=LOCAL_TZ)
    until = datetime.combine(nxt, time(0), tzinfo=LOCAL_TZ)
    rows, total = await service.use_table(scope=actor.scope, since=since, until=until)
    bars = [(f"{r.point_name}·{r.service_name}（{r.booked}/{r.offered}）", float(r.utilisation)) for r in rows
            if r.utilisation is not None]
    return render(request, "booking/console_stats.html", {
        "rows": rows, "total": total, "month": first, "prev": (first - timedelta(days=1)).replace(day=1),
        "next": nxt, "chart": charts.bar_chart(bars, unit="%", color="#1476d2")})


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01") if value else local_today().replace(day=1)
    except ValueError as exc:
        raise InvalidInput("月份格式应为 YYYY-MM。") from exc


@router.get("/console/booking/week", response_class=HTMLResponse)
async def week_page(request: Request, actor: Staff, point: str = "", start: str = "") -> Response:
    p = await _point(actor, point[:32])
    d = _day(start[:10])
    d -= timedelta(days=d.weekday())
    days = await service.week(scope=actor.scope, point_code=p.code, start=d) if p else []
    return render(request, "booking/console_week.html", {
        "points": await service.points_in_scope(actor.scope), "p": p, "days": days, "start": d,
        "prev": d - timedelta(days=7), "next": d + timedelta(days=7)})


@router.get("/console/booking/print", response_class=HTMLResponse)
async def print_page(request: Request, actor: Staff, point: str = "", day: str = "") -> Response:
    """The morning's list, for printing (no navigation)."""
    p = await _point(actor, point[:32])
    d = _day(day[:10])
    rows = await service.day_rows(scope=actor.scope, point_code=p.code, day=d,
                                  clearance=actor.clearance) if p else []
    await service.record_shown(actor=actor, page="booking_print", rows=rows, ip=client_ip(request))
    return render(request, "booking/console_print.html", {
        "p": p, "rows": rows, "label": f"{d.year}年{d.month}月{d.day}日 {service.WEEKDAY_ZH[d.weekday()]}"})


@router.get("/console/booking/ics")
async def ics_feed(request: Request, actor: Staff, point: str = "", provider: str = "") -> Response:
    p = await _point(actor, point[:32])
    if p is None:
        raise InvalidInput("没有可查看的服务点。")
    body = await service.feed(actor=actor, point_code=p.code, provider=provider[:40], ip=client_ip(request))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{p.code}.ics"'})


@router.post("/console/booking/checkin")
async def check_in(actor: Staff, point: Short = "", code: Short = "") -> Response:
    try:
        b = await service.check_in(code=code, scope=actor.scope, staff_name=actor.name)
    except FawuError as exc:
        return _back("/console/booking", point=point, error=exc.message_zh)
    return _back("/console/booking", point=b.point_code, notice=f"{b.name}（{b.code}）已签到。")


@router.post("/console/booking/{booking_id}/noshow")
async def no_show(actor: Staff, booking_id: int, point: Short = "", day: Short = "") -> Response:
    await service.booking_in_scope(actor.scope, booking_id)  # another unit's booking: 404
    try:
        await service.mark_no_show(scope=actor.scope, booking_id=booking_id)
    except FawuError as exc:
        return _back("/console/booking", point=point, day=day, error=exc.message_zh)
    return _back("/console/booking", point=point, day=day, notice="已标为未到。")


@router.post("/console/booking/{booking_id}/cancel")
async def cancel(actor: Staff, booking_id: int, reason: Short = "", point: Short = "", day: Short = "") -> Response:
    b = await service.booking_in_scope(actor.scope, booking_id)  # another unit's booking: 404
    try:
        await service.cancel(booking_id=b.id, by_staff=actor.name, reason=reason)
    except FawuError as exc:
        return _back("/console/booking", point=point, day=day, error=exc.message_zh)
    return _back("/console/booking", point=point, day=day, notice="已取消，并已告知居民（有微信的通过微信）。")


@router.post("/console/booking/book")
async def desk_book(actor: Staff, point: Short = "", svc: Short = "", slot: Short = "", name: Short = "",
                    phone: Short = "", description: Short = "") -> Response:
    """Book on a resident's behalf at the desk or on the phone (the same write path as every other)."""
    try:
        p = await service.point_in_scope(actor.scope, point)
        conf = await service.book(point_code=p.code, service_code=svc, starts_at=service.parse_slot_key(slot),
                                  name=name, phone=phone, description=description, channel="console")
    except FawuError as exc:
        return _back("/console/booking", point=point, error=exc.message_zh)
    day = conf.starts_at.astimezone(LOCAL_TZ).date().isoformat()
    return _back("/console/booking", point=point, day=day,
                 notice=f"已预约：{conf.when}，预约码 {conf.code}（请告知居民）。")


# ---- the schedule ----

@router.get("/console/booking/schedule", response_class=HTMLResponse)
async def schedule_page(request: Request, actor: Staff, point: str = "", notice: str = "",
                        error: str = "") -> Response:
    p = await _point(actor, point[:32])
    plans = await service.plans(scope=actor.scope, point_code=p.code) if p else []
    changes = await service.day_changes(point_code=p.code, since=local_today()) if p else []
    services = await service.services()
    return render(request, "booking/console_schedule.html", {
        "points": await service.points_in_scope(actor.scope), "p": p, "plans": plans, "changes": changes,
        "services": services, "names": {s.code: s.name for s in services}, "weekdays": service.WEEKDAY_ZH,
        "notice": notice[:200], "error": error[:200],
        "makeup": service.WEEKDAY_ZH[get_settings().booking_makeup_weekday]})


@router.post("/console/booking/schedule/plan")
async def add_plan(request: Request, actor: Staff, point: Short = "", svc: Short = "", weekdays: list[int] = Form([]),
                   start: Short = "", end: Short = "", capacity: int = Form(1), provider: Short = "",
                   valid_from: Short = "", valid_until: Short = "") -> Response:
    try:
        if not weekdays:
            raise service.BadPlan("请至少选择一天。")
        for wd in weekdays:
            row = await service.add_plan(scope=actor.scope, point_code=point, service_code=svc, weekday=wd,
                                         start=start, end=end, capacity=capacity, provider=provider,
                                         valid_from=_day(valid_from) if valid_from else None,
                                         valid_until=_day(valid_until) if valid_until else None, staff_id=actor.id)
            await _audit(request, actor, "plan_add", row.id, point=row.point_code, service=row.service_code,
                         weekday=row.weekday, start=row.start, end=row.end, capacity=row.capacity)
    except FawuError as exc:
        return _back("/console/booking/schedule", point=point, error=exc.message_zh)
    return _back("/console/booking/schedule", point=point, notice="排班已添加，新时段即刻可约。")


@router.post("/console/booking/schedule/plan/{plan_id}")
async def update_plan(request: Request, actor: Staff, plan_id: int, point: Short = "", start: Short = "",
                      end: Short = "", capacity: Short = "") -> Response:
    """Change a session's hours or capacity; bad values come back as a Chinese message, never a 500."""
    try:  # another unit's plan is not found (404) before its values are looked at
        row = await service.update_plan(scope=actor.scope, plan_id=plan_id, start=start, end=end,
                                        capacity=capacity)
    except service.PlanNotFound:
        raise
    except FawuError as exc:
        return _back("/console/booking/schedule", point=point, error=exc.message_zh)
    await _audit(request, actor, "plan_update", row.id, point=row.point_code, service=row.service_code,
                 start=row.start, end=row.end, capacity=row.capacity)
    return _back("/console/booking/schedule", point=point,
                 notice="排班已修改（已约的预约保留，新的可约人数即刻生效）。")


@router.post("/console/booking/schedule/plan/{plan_id}/remove")
async def remove_plan(request: Request, actor: Staff, plan_id: int, point: Short = "") -> Response:
    await service.remove_plan(scope=actor.scope, plan_id=plan_id)  # unknown or another unit's: 404
    await _audit(request, actor, "plan_remove", plan_id, point=point)
    return _back("/console/booking/schedule", point=point,
                 notice="排班已停用（已约的预约保留，如需取消请在当日名单中逐个取消并说明原因）。")


@router.post("/console/booking/schedule/change")
async def add_change(request: Request, actor: Staff, point: Short = "", kind: Short = "", day: Short = "", svc: Short = "",
                     start: Short = "", end: Short = "", capacity: int = Form(1), provider: Short = "",
                     reason: Short = "") -> Response:
    try:
        change = await service.add_day_change(scope=actor.scope, point_code=point, kind=kind, day=_day(day),
                                              service_code=svc, start=start, end=end, capacity=capacity,
                                              provider=provider, reason=reason, staff_id=actor.id)
    except FawuError as exc:
        return _back("/console/booking/schedule", point=point, error=exc.message_zh)
    await _audit(request, actor, f"{kind}_add", change.id, point=point, day=day, service=svc, start=start, end=end,
                 capacity=capacity, reason=reason)
    return _back("/console/booking/schedule", point=point, notice="已保存。")


@router.post("/console/booking/schedule/change/{change_id}/remove")
async def remove_change(request: Request, actor: Staff, change_id: int, point: Short = "") -> Response:
    await service.remove_day_change(scope=actor.scope, change_id=change_id)  # unknown or another unit's: 404
    await _audit(request, actor, "change_remove", change_id, point=point)
    return _back("/console/booking/schedule", point=point, notice="已删除。")


# ---- the bookable services' own fields (district administrators; everyone else reads) ----

@router.get("/console/booking/services", response_class=HTMLResponse)
async def services_page(request: Request, actor: Staff, notice: str = "") -> Response:
    return render(request, "booking/console_services.html", {
        "rows": await service.services(active_only=False), "notice": notice[:200], "case_types": editing.CASE_TYPE_ZH,
        "can_change": staff_service.has_right(actor, "booking.services"), "district": actor.is_district})


async def _service_editor(request: Request, actor: Actor, code: str, form: editing.ServiceForm, *,
                          error: str = "", notice: str = "", status_code: int = 200) -> Response:
    svc = await service.get_any_service(code)
    return render(request, "booking/console_service.html", {
        "s": svc, "f": form, "error": error, "notice": notice[:200], "case_types": editing.CASE_TYPE_ZH,
        "future": await editing.future_bookings(svc.code), "catalogue_url": f"/console/catalog/services/{svc.code}",
        "can_change": staff_service.has_right(actor, "booking.services")}, status_code=status_code)


@router.get("/console/booking/services/{booking_service}", response_class=HTMLResponse)
async def service_page(request: Request, actor: Staff, booking_service: str, notice: str = "") -> Response:
    if not actor.is_district:  # district-wide settings: township staff see the list only
        raise NotPermitted()
    svc = await service.get_any_service(booking_service[:32])
    return await _service_editor(request, actor, svc.code, editing.ServiceForm.of(svc), notice=notice)


@router.post("/console/booking/services/{booking_service}", response_class=HTMLResponse)
async def service_save(request: Request, actor: Staff, booking_service: str, duration: Short = "", buffer: Short = "",
                       capacity: Short = "", providers: Short = "",
                       documents: Annotated[str, Form(max_length=5000)] = "",
                       checklist: Annotated[str, Form(max_length=5000)] = "",
                       legal_basis: Annotated[str, Form(max_length=1000)] = "", case_type: Short = "",
                       active: Short = "", reason: Short = "") -> Response:
    svc = await service.get_any_service(booking_service[:32])
    form = editing.ServiceForm(duration=duration, buffer=buffer, capacity=capacity, providers=providers,
                               documents=documents, checklist=checklist, legal_basis=legal_basis,
                               case_type=case_type, active=bool(active))
    try:
        _, changed = await editing.edit_service(actor=actor, code=svc.code, form=form, reason=reason,
                                                ip=client_ip(request))
    except FawuError as exc:
        return await _service_editor(request, actor, svc.code, form, error=exc.message_zh,
                                     status_code=403 if exc.status == 403 else 200)
    return _back(f"/console/booking/services/{svc.code}",
                 notice="已保存，新的设置即刻用于可约时段。" if changed else "没有改动。")
