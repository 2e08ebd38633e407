"""The console inbox (案件收件箱): tabs and filters in a fixed number of queries, transfers waiting
for me, and the alerts (new and urgent cases, residents' messages, deadline warnings) that the
page title and a sound-free banner show on every console page."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.cases import notices
from app.cases import service as cases_service
from app.cases.models import CATEGORY_ZH, STATUS_ZH, TYPE_ZH
from app.cases.views.common import DUE_BADGE, NOTICES, Staff, unit_names
from app.console.kit.auth import client_ip
from app.console.kit.layout import render
from app.org import service as org_service

router = APIRouter(include_in_schema=False)

# Inbox tabs: key → (label, filters passed to cases_service.list_cases).
TABS: dict[str, tuple[str, dict[str, Any]]] = {
    "mine": ("我的案件", {"owner": "me", "status": "open"}),
    "urgent": ("紧急", {"urgent": True, "status": "open"}),
    "unit": ("本单位", {"status": "open"}),
    "due_soon": ("即将到期", {"due": "due_soon"}),
    "overdue": ("已超期", {"due": "overdue"}),
    "unassigned": ("未分派", {"owner": "none", "status": "open"}),
    "handled": ("我经手的", {"status": "handled"}),
    "all": ("全部", {}),
}


# a filter value: a code (status, type, unit code…), never longer than the columns holding them
Filter = Annotated[str, Query(max_length=32)]


@router.get("/console/inbox")
async def inbox(request: Request, actor: Staff, tab: Filter = "", status: Filter = "", type: Filter = "",
                category: Filter = "", township: Filter = "", due: Filter = "",
                q: Annotated[str, Query(max_length=100)] = "",
                page: Annotated[int, Query(ge=1, le=10000)] = 1) -> Response:
    filters: dict[str, Any] = {"status": status or None, "type": type or None, "township_code": township or None,
                               "category": category or None, "due": due or None, "q": q.strip() or None}
    base = {k: v for k, v in filters.items() if v is not None}
    counts = await cases_service.count_tabs(actor=actor, tabs={k: f for k, (_, f) in TABS.items()}, **base)
    if tab not in TABS:  # land where the work is: urgent, my cases, the unassigned ones, else the unit's
        tab = next((k for k in ("urgent", "mine", "unassigned") if counts[k]), "unit")
    result = await cases_service.list_cases(actor=actor, page=page, per_page=25, **{**base, **TABS[tab][1]})
    await cases_service.record_list_view(actor=actor, page="inbox", cases=result.items, ip=client_ip(request))
    transfers = await cases_service.pending_transfers_for(actor=actor)
    alerts = await notices.unread_for(staff_id=actor.id, limit=8, clearance=actor.clearance)
    query = {k: v for k, v in {"status": status, "type": type, "category": category, "township": township,
                               "due": due, "q": q}.items() if v}
    units = await unit_names()
    township_codes = await _township_codes()
    return render(request, "cases/inbox.html", {
        "tabs": TABS, "tab": tab, "counts": counts, "result": result, "f": query,
        "qs": urlencode(query), "statuses": STATUS_ZH, "types": TYPE_ZH, "categories": CATEGORY_ZH,
        "townships": sorted((c, n) for c, n in units.items() if c in township_codes),
        "units": units, "due_badge": DUE_BADGE, "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
        "show_township": actor.is_district, "transfers": transfers, "alerts": alerts, "kind_zh": notices.KIND_ZH,
    })


async def _township_codes() -> set[str]:
    return {c for c, u in (await org_service.tree()).items() if u.kind == "township"}


@router.get("/console/api/alerts")
async def alerts_api(actor: Staff) -> Response:
    """Unacknowledged alerts for the title count and the banner (polled by console.js)."""
    counts = await notices.count_unread(staff_id=actor.id)
    items = await notices.unread_for(staff_id=actor.id, limit=5, clearance=actor.clearance)
    return JSONResponse({
        **counts,
        "items": [{"id": n.id, "kind": n.kind, "kind_zh": notices.KIND_ZH.get(n.kind, n.kind), "text": n.text,
                   "case_id": getattr(n, "case_id", None), "urgent": n.kind in ("urgent", "escalate")}
                  for n in items],
    }, headers={"Cache-Control": "no-store"})


@router.post("/console/alerts/ack")
async def ack_alerts(actor: Staff, notice_id: Annotated[int | None, Form()] = None,
                     back: Annotated[str, Form(max_length=200)] = "") -> Response:
    """知道了: acknowledge one alert, or all of them."""
    await notices.acknowledge(staff_id=actor.id, notice_id=notice_id)
    target = back if back.startswith("/console") and not back.startswith("//") else "/console/inbox"
    return RedirectResponse(target, status_code=303)
