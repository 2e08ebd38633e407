"""The front desk's pages: register a walk-in or a 12348 call (前台统一受理), the registration form
for printing and archiving (登记归档), the unit's canned replies, and my alerts (with the code that
allows WeChat alerts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.cases import notices
from app.cases import service as cases_service
from app.cases.frontdesk import DESK_CHANNELS
from app.cases.models import CATEGORY_ZH, TYPE_ZH
from app.cases.views.case import case_page_for
from app.cases.views.common import EVENT_ZH, NOTICES, ROLE_OF_MESSAGE, Staff, Text, unit_names
from app.console.kit.layout import render
from app.core.actor import Actor
from app.core.clock import utcnow
from app.errors import FawuError
from app.org import service as org_service

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=64)]


async def _units_of(actor: Actor) -> list[tuple[str, str]]:
    tree = await org_service.tree()
    return sorted((c, u.name) for c, u in tree.items()
                  if u.kind in ("township", "community") and actor.scope.allows(c))


async def _new_form(request: Request, actor: Actor, *, error: str = "", form: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
    return render(request, "cases/new.html", {
        "channels": DESK_CHANNELS, "types": {k: v for k, v in TYPE_ZH.items() if k != "bad_review"},
        "categories": CATEGORY_ZH, "units": await _units_of(actor), "error": error, "form": form or {},
    }, status_code=status_code)


@router.get("/console/cases/new")
async def new_case_form(request: Request, actor: Staff) -> Response:
    return await _new_form(request, actor, form={"channel": request.query_params.get("channel", "walk_in")})


@router.post("/console/cases/new")
async def register(request: Request, actor: Staff, channel: Short = "walk_in", phone: Short = "", name: Short = "",
                   summary: Text = "", category: Short = "", type: Short = "consultation", unit: Short = "",
                   urgent: Short = "", consent: Short = "") -> Response:
    """One form, under a minute: the case opens owned by the clerk; the page shows the bind code."""
    tree = await org_service.tree()
    info = tree.get(unit)
    community = info.code if info and info.kind == "community" else None
    township = (info.township_code if community else info.code) if info else None
    try:
        reg = await cases_service.register_walk_in(
            actor=actor, channel=channel, summary=summary, phone=phone, name=name, category=category or None,
            type=type, urgent=bool(urgent), community_code=community, township_code=township,
            contact_consent=bool(consent))
    except FawuError as exc:
        form = {"channel": channel, "phone": phone, "name": name, "summary": summary, "category": category,
                "type": type, "unit": unit, "urgent": urgent, "consent": consent}
        return await _new_form(request, actor, error=exc.message_zh, form=form, status_code=exc.status)
    return await case_page_for(request, actor, reg.case.id, bind_code=reg.bind_code, notice=NOTICES["registered"])


@router.get("/console/cases/{case_id}/print")
async def print_form(request: Request, case_id: int, actor: Staff) -> Response:
    """The case as its registration form (登记表), for printing and the paper archive."""
    view = await cases_service.get_case(actor=actor, case_id=case_id)
    return render(request, "cases/print.html", {
        "v": view, "case": view.case, "units": await unit_names(), "categories": CATEGORY_ZH,
        "event_zh": EVENT_ZH, "msg_role": ROLE_OF_MESSAGE, "printed_at": utcnow(),
    })


@router.get("/console/canned")
async def canned_page(request: Request, actor: Staff) -> Response:
    return render(request, "cases/canned.html", {
        "items": await cases_service.list_canned(actor=actor), "units": await unit_names(),
        "own_units": [(c, n) for c, n in (await unit_names()).items() if c in actor.unit_codes],
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
    })


@router.post("/console/canned")
async def add_canned(request: Request, actor: Staff, title: Short = "", text: Text = "", unit: Short = "") -> Response:
    try:
        await cases_service.add_canned(actor=actor, title=title, text=text, unit_code=unit or None)
    except FawuError as exc:
        return render(request, "cases/canned.html", {
            "items": await cases_service.list_canned(actor=actor), "units": await unit_names(),
            "own_units": [(c, n) for c, n in (await unit_names()).items() if c in actor.unit_codes],
            "error": exc.message_zh, "form": {"title": title, "text": text}}, status_code=exc.status)
    return RedirectResponse("/console/canned?notice=canned", status_code=303)


@router.post("/console/canned/{canned_id}/delete")
async def delete_canned(canned_id: int, actor: Staff) -> Response:
    await cases_service.delete_canned(actor=actor, canned_id=canned_id)
    return RedirectResponse("/console/canned", status_code=303)


@router.get("/console/alerts")
async def alerts_page(request: Request, actor: Staff) -> Response:
    return render(request, "cases/alerts.html", {
        "alerts": await notices.unread_for(staff_id=actor.id, limit=100, clearance=actor.clearance), "kind_zh": notices.KIND_ZH,
        "wechat": await notices.wechat_alerts_of(staff_id=actor.id), "code": "",
    })


@router.post("/console/alerts/wechat")
async def alerts_code(request: Request, actor: Staff) -> Response:
    """A code to send to the district's service account: WeChat alerts for urgent cases and escalations."""
    code = await cases_service.staff_alert_code(actor=actor)
    return render(request, "cases/alerts.html", {
        "alerts": await notices.unread_for(staff_id=actor.id, limit=100, clearance=actor.clearance), "kind_zh": notices.KIND_ZH,
        "wechat": await notices.wechat_alerts_of(staff_id=actor.id), "code": code.code,
    })


@router.post("/console/alerts/wechat/stop")
async def alerts_stop(actor: Staff) -> Response:
    await notices.stop_wechat_alerts(staff_id=actor.id)
    return RedirectResponse("/console/alerts", status_code=303)
