"""Booking pages: the resident's form (/booking, what the board page's 预约 button opens, works without
script) and its look-up/cancel page (/booking/manage); the staff pages live in console_views.py."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.booking import service
from app.config import get_settings
from app.core.clock import LOCAL_TZ
from app.errors import FawuError
from app.web import templates

router = APIRouter(include_in_schema=False)


async def _form_context(*, svc_code: str, point_code: str, board: str, community: str) -> dict[str, Any]:
    services = await service.services()
    points = await service.points_near(community_code=community or None)
    ctx: dict[str, Any] = {"services": services, "points": points, "svc": None, "point": None, "days": [],
                           "board": board, "community": community, "token": secrets.token_hex(16),
                           "hotline": get_settings().hotline, "error": None, "values": {}}
    if svc_code:
        ctx["svc"] = next((s for s in services if s.code == svc_code), None)
    if point_code:
        ctx["point"] = next((p for p in points if p.code == point_code), None)
    if ctx["svc"] and ctx["point"]:
        free = await service.free_slots(point_code=point_code, service_code=svc_code)
        by_day: dict[date, list[Any]] = {}
        for s in free:
            by_day.setdefault(s.starts_at.astimezone(LOCAL_TZ).date(), []).append(s)
        ctx["days"] = [(f"{d.month}月{d.day}日 {service.WEEKDAY_ZH[d.weekday()]}", rows)
                       for d, rows in sorted(by_day.items())]
    return ctx


@router.get("/booking", response_class=HTMLResponse)
async def booking_page(request: Request, service_code: str = "", point: str = "", board: str = "",
                       community: str = "", township: str = "", svc: str = "") -> Response:
    """Choose a service, a point (nearest first), a slot; then the form."""
    ctx = await _form_context(svc_code=(svc or service_code)[:32], point_code=point[:32], board=board[:24],
                              community=community[:32])
    response = templates.TemplateResponse(request, "booking/page.html", ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/booking", response_class=HTMLResponse)
async def booking_submit(request: Request, svc: str = Form("", max_length=32), point: str = Form("", max_length=32),
                         slot: str = Form("", max_length=20), name: str = Form("", max_length=60),
                         phone: str = Form("", max_length=30), description: str = Form("", max_length=300),
                         checklist: list[str] = Form([]), token: str = Form("", max_length=64),
                         board: str = Form("", max_length=24), community: str = Form("", max_length=32),
                         consent: str = Form("")) -> Response:
    """Book; a full slot or a bad field shows the form again with the answers kept and a clear message."""
    error: str | None = None
    nxt: list[dict[str, Any]] = []
    if not consent:
        error = "请勾选同意：电话仅用于本次预约的联系和提醒。"
    else:
        try:
            if not slot:
                raise service.SlotNotOffered("请选择预约时间。")
            conf = await service.book(point_code=point, service_code=svc, starts_at=service.parse_slot_key(slot),
                                      name=name, phone=phone, description=description, checklist=checklist,
                                      channel="page", request_key=f"page:{token}" if len(token) >= 16 else None,
                                      board_code=board or None)
            return templates.TemplateResponse(request, "booking/done.html", {"c": conf, "board": board})
        except service.SlotFull as exc:
            error, nxt = exc.message_zh, list(exc.details.get("next") or [])
        except FawuError as exc:
            error = exc.message_zh
    ctx = await _form_context(svc_code=svc, point_code=point, board=board, community=community)
    ctx.update(error=error, next=nxt, token=token or ctx["token"],
               values={"name": name, "phone": phone, "description": description, "slot": slot})
    return templates.TemplateResponse(request, "booking/page.html", ctx, status_code=409 if nxt else 400)


@router.get("/booking/manage", response_class=HTMLResponse)
async def manage_page(request: Request, code: str = "") -> Response:
    return templates.TemplateResponse(request, "booking/manage.html", {"code": code[:8], "c": None, "error": None})


@router.post("/booking/manage", response_class=HTMLResponse)
async def manage_submit(request: Request, code: str = Form("", max_length=12), phone: str = Form("", max_length=30),
                        action: str = Form("look")) -> Response:
    """Look up a booking by code and phone; cancel it (up to the cut-off)."""
    ctx: dict[str, Any] = {"code": code, "c": None, "error": None, "done": None}
    try:
        b = await service.find(code=code, phone=phone)
        if action == "cancel":
            b = await service.cancel(booking_id=b.id)
            ctx["done"] = "预约已取消。"
        ctx["c"] = await service.confirmation(b, created=False)
        ctx["phone"] = phone
    except FawuError as exc:
        ctx["error"] = exc.message_zh
    return templates.TemplateResponse(request, "booking/manage.html", ctx,
                                      status_code=200 if ctx["error"] is None else 400)
