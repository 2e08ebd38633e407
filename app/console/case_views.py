"""Console case pages: the inbox with tabs and filters, one case (conversation, history, actions), a
resident (masked phone and ID; revealing is audit-logged), and knowledge-base quick replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.cases import service as cases_service
from app.console import labels
from app.console.kit.auth import client_ip, current_user, require_staff
from app.console.kit.layout import render
from app.consult import service as consult_service
from app.core.actor import Actor, Role
from app.errors import FawuError, NotFound
from app.staff import service as staff_service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]

# Inbox tabs: key → (label, filters passed to cases_service.list_cases).
TABS: dict[str, tuple[str, dict[str, Any]]] = {
    "mine": ("我的案件", {"owner": "me", "status": "open"}),
    "unit": ("本单位", {"status": "open"}),
    "due_soon": ("即将到期", {"due": "due_soon"}),
    "overdue": ("已超期", {"due": "overdue"}),
    "unassigned": ("未分派", {"owner": "none", "status": "open"}),
    "all": ("全部", {}),
}
NOTICES = {
    "take": "已接办，您是该案件的负责人。", "assign": "已分派。", "transfer": "已发起转办，等待对方接收。",
    "accept": "已接收转办。", "refuse": "已退回转办。", "info": "已通知居民补充材料，计时已按规定暂停。",
    "reply": "回复已发送。", "note": "备注已保存。", "result": "办理结果已记录，将送达居民。", "close": "案件已办结。",
    "reopen": "案件已重新办理。", "start": "已开始办理。", "password": "密码已修改。",
}


# a filter value: a code (status, type, unit code…), never longer than the columns holding them
Filter = Annotated[str, Query(max_length=32)]


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("notice", ""), "")


@router.get("/console/inbox")
async def inbox(request: Request, actor: Staff, tab: Filter = "", status: Filter = "", type: Filter = "",
                category: Filter = "", township: Filter = "", due: Filter = "",
                q: Annotated[str, Query(max_length=100)] = "",
                page: Annotated[int, Query(ge=1, le=10000)] = 1) -> Response:
    filters: dict[str, Any] = {"status": status or None, "type": type or None, "township_code": township or None,
                               "category": category or None, "due": due or None, "q": q.strip() or None}
    base = {k: v for k, v in filters.items() if v is not None}
    counts = {}
    for key, (_, tab_filters) in TABS.items():
        counts[key] = (await cases_service.list_cases(actor=actor, per_page=1, **{**base, **tab_filters})).total
    if tab not in TABS:  # land where the work is: my cases, else the unassigned ones, else the unit's
        tab = "mine" if counts["mine"] else "unassigned" if counts["unassigned"] else "unit"
    result = await cases_service.list_cases(actor=actor, page=page, per_page=25, **{**base, **TABS[tab][1]})
    transfers = await cases_service.pending_transfers_for(actor=actor)
    for tr in transfers:  # the receiver sees what they are asked to take over
        await tr.fetch_related("case")
    reminders = (await cases_service.my_reminders(actor=actor))[:5]
    query = {k: v for k, v in {"status": status, "type": type, "category": category, "township": township,
                               "due": due, "q": q}.items() if v}
    return render(request, "console/inbox.html", {
        "tabs": TABS, "tab": tab, "counts": counts, "result": result, "f": query,
        "qs": urlencode(query), "statuses": labels.status_labels(), "types": labels.type_labels(),
        "categories": labels.category_labels(), "townships": await labels.townships(),
        "units": await labels.unit_names(), "due_badge": labels.DUE_BADGE, "notice": _notice(request),
        "show_township": actor.is_district, "transfers": transfers,
        "reminders": reminders,
    })


async def _case_page(request: Request, actor: Actor, case_id: int, *, error: str = "", status_code: int = 200,
                     reply_text: str = "", revealed: Any = None) -> Response:
    view = await cases_service.get_case(actor=actor, case_id=case_id)
    case = view.case
    quick = await consult_service.search_kb(case.summary[:200], limit=5)
    has_hidden = bool(case.summary_enc) or any(m.text_enc for m in view.messages)
    if revealed is not None:  # this response only: the page shows the texts as typed
        case.summary = revealed.summary or case.summary
        for m in view.messages:
            m.text = revealed.messages.get(m.id, m.text)
    colleagues = [s for s in await staff_service.list_staff(actor=actor)
                  if s.role != Role.SUPERVISOR and s.id != case.owner_id]
    pending = view.pending_transfer
    may_receive = bool(pending and not actor.read_only and (
        pending.to_staff_id == actor.id if pending.to_staff_id is not None else actor.scope.allows(pending.to_unit_code)))
    units = await labels.unit_names()
    tree_units = sorted(units.items())
    return render(request, "console/case.html", {
        "v": view, "case": case, "quick": quick, "colleagues": colleagues, "may_receive": may_receive,
        "units": units, "unit_choices": tree_units, "event_zh": labels.EVENT_ZH, "msg_role": labels.ROLE_OF_MESSAGE,
        "due_badge": labels.DUE_BADGE, "categories": labels.category_labels(), "is_owner": case.owner_id == actor.id,
        "is_admin": actor.role == Role.DISTRICT_ADMIN, "notice": _notice(request), "error": error,
        "reply_text": reply_text, "staff_names": {s.id: s.name for s in colleagues},
        "has_hidden": has_hidden, "revealed_text": revealed is not None,
    }, status_code=status_code)


@router.get("/console/cases/{case_id}")
async def case_page(request: Request, case_id: int, actor: Staff) -> Response:
    return await _case_page(request, actor, case_id)


async def _act(request: Request, actor: Actor, case_id: int, notice: str, call: Callable[[], Awaitable[Any]],
               *, reply_text: str = "") -> Response:
    """Run one service call; back to the case page with a notice, or the page again with the error."""
    try:
        await call()
    except NotFound:
        raise
    except FawuError as exc:
        return await _case_page(request, actor, case_id, error=exc.message_zh, status_code=exc.status,
                                reply_text=reply_text)
    return RedirectResponse(f"/console/cases/{case_id}?notice={notice}", status_code=303)


Text = Annotated[str, Form(max_length=4000)]


@router.post("/console/cases/{case_id}/take")
async def take(request: Request, case_id: int, actor: Staff) -> Response:
    return await _act(request, actor, case_id, "take", lambda: cases_service.take(actor=actor, case_id=case_id))


@router.post("/console/cases/{case_id}/assign")
async def assign(request: Request, case_id: int, actor: Staff, staff_id: Annotated[int, Form()],
                 reason: Text = "") -> Response:
    return await _act(request, actor, case_id, "assign", lambda: cases_service.assign(
        actor=actor, case_id=case_id, staff_id=staff_id, reason=reason))


@router.post("/console/cases/{case_id}/transfer")
async def transfer(request: Request, case_id: int, actor: Staff, target: Annotated[str, Form(max_length=40)] = "",
                   reason: Text = "") -> Response:
    # target is "staff:<id>" or "unit:<code>" (one select in the form)
    kind, _, value = target.partition(":")
    to_staff = int(value) if kind == "staff" and value.isdigit() else None
    to_unit = value if kind == "unit" and value else None
    return await _act(request, actor, case_id, "transfer", lambda: cases_service.transfer(
        actor=actor, case_id=case_id, reason=reason, to_staff_id=to_staff, to_unit_code=to_unit))


@router.post("/console/transfers/{transfer_id}/accept")
async def accept_transfer(request: Request, transfer_id: int, actor: Staff) -> Response:
    """The receiver takes the case over; they land on it (it is now in their unit)."""
    case = await cases_service.accept_transfer(actor=actor, transfer_id=transfer_id)
    return RedirectResponse(f"/console/cases/{case.id}?notice=accept", status_code=303)


@router.post("/console/transfers/{transfer_id}/refuse")
async def refuse_transfer(request: Request, transfer_id: int, actor: Staff, reason: Text = "") -> Response:
    """The receiver sends it back; the case stays with its owner (maybe out of the receiver's sight)."""
    await cases_service.refuse_transfer(actor=actor, transfer_id=transfer_id, reason=reason)
    return RedirectResponse("/console/inbox?notice=refuse", status_code=303)


@router.post("/console/cases/{case_id}/start")
async def start(request: Request, case_id: int, actor: Staff) -> Response:
    return await _act(request, actor, case_id, "start", lambda: cases_service.start(actor=actor, case_id=case_id))


@router.post("/console/cases/{case_id}/return_for_info")
async def return_for_info(request: Request, case_id: int, actor: Staff, reason: Text = "") -> Response:
    return await _act(request, actor, case_id, "info", lambda: cases_service.return_for_info(
        actor=actor, case_id=case_id, reason=reason))


@router.post("/console/cases/{case_id}/reply")
async def reply(request: Request, case_id: int, actor: Staff, text: Text = "") -> Response:
    return await _act(request, actor, case_id, "reply", lambda: cases_service.reply(
        actor=actor, case_id=case_id, text=text), reply_text=text)


@router.post("/console/cases/{case_id}/note")
async def note(request: Request, case_id: int, actor: Staff, text: Text = "") -> Response:
    async def call() -> Any:
        if not text.strip():
            raise cases_service.InvalidCaseInput("备注内容不能为空。")
        return await cases_service.add_note(actor=actor, case_id=case_id, text=text.strip())

    return await _act(request, actor, case_id, "note", call)


@router.post("/console/cases/{case_id}/result")
async def give_result(request: Request, case_id: int, actor: Staff, text: Text = "") -> Response:
    return await _act(request, actor, case_id, "result", lambda: cases_service.give_result(
        actor=actor, case_id=case_id, text=text))


@router.post("/console/cases/{case_id}/close")
async def close(request: Request, case_id: int, actor: Staff, reason: Text = "") -> Response:
    return await _act(request, actor, case_id, "close", lambda: cases_service.close(
        actor=actor, case_id=case_id, reason=reason))


@router.post("/console/cases/{case_id}/reopen")
async def reopen(request: Request, case_id: int, actor: Staff, reason: Text = "") -> Response:
    return await _act(request, actor, case_id, "reopen", lambda: cases_service.reopen(
        actor=actor, case_id=case_id, reason=reason))


@router.post("/console/cases/{case_id}/reveal")
async def reveal_text(request: Request, case_id: int, actor: Staff,
                      reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The personal numbers typed in the case, in full, on this response only; audit-logged."""
    revealed = await cases_service.reveal_case_text(actor=actor, case_id=case_id, reason=reason,
                                                    ip=client_ip(request))
    response = await _case_page(request, actor, case_id, revealed=revealed)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- residents ---------------------------------------------------------------------------------

async def _resident_page(request: Request, actor: Actor, resident_id: int,
                         revealed: dict[str, str] | None = None) -> Response:
    view = await cases_service.get_resident_view(actor=actor, resident_id=resident_id)
    return render(request, "console/resident.html", {
        "r": view, "revealed": revealed or {}, "units": await labels.unit_names(),
        "due_badge": labels.DUE_BADGE,
    })


@router.get("/console/residents/{resident_id}")
async def resident_page(request: Request, resident_id: int, actor: Staff) -> Response:
    return await _resident_page(request, actor, resident_id)


@router.post("/console/residents/{resident_id}/reveal")
async def reveal(request: Request, resident_id: int, actor: Staff,
                 field: Annotated[str, Form(pattern="^(phone|id_number)$")] = "phone",
                 reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Show one full number on this response only (never in a URL); the service audit-logs it."""
    fn = cases_service.reveal_phone if field == "phone" else cases_service.reveal_id_number
    value = await fn(actor=actor, resident_id=resident_id, reason=reason, ip=client_ip(request))
    return await _resident_page(request, actor, resident_id, revealed={field: value or "（未登记）"})


# --- knowledge base for the reply box ------------------------------------------------------------

@router.get("/console/api/kb")
async def kb_search(request: Request, actor: Staff, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    hits: list[dict[str, Any]] = []
    if q.strip():
        found = await consult_service.search_kb(q.strip(), limit=6)
        hits = [{"id": h.id, "title": h.title, "answer": h.answer} for h in found]
    user = await current_user(request)
    headers = {"Cache-Control": "no-store"} if user else {}
    return JSONResponse({"hits": hits}, headers=headers)
