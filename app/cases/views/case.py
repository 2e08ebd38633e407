"""One case in the console: conversation, history, actions (take, reply, result, transfer, category
correction, urgent), quick replies from the case's category and the unit's canned replies; a
resident's page (masked phone and ID; revealing is audit-logged); knowledge-base search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.cases import notices, states
from app.cases import service as cases_service
from app.cases.models import CATEGORY_ZH, DELIVERY_ZH, Case
from app.cases.views.common import DUE_BADGE, EVENT_ZH, NOTICES, ROLE_OF_MESSAGE, Staff, Text, unit_names
from app.config import get_settings
from app.console.kit.auth import client_ip, current_user
from app.console.kit.layout import render
from app.consult import service as consult_service
from app.core.actor import LEVEL_ZH, Actor, Role
from app.errors import FawuError, NotFound
from app.staff import service as staff_service

router = APIRouter(include_in_schema=False)


async def _quick_replies(case: Case, resident_texts: list[str]) -> list[Any]:
    """Knowledge-base answers for the case's category (what the matter is, not the last message)."""
    words = " ".join([CATEGORY_ZH.get(case.category or "", ""), case.summary[:200], *resident_texts[-2:]])
    hits = await consult_service.search_kb(words[:300], limit=12)
    inside = [h for h in hits if h.category == case.category]
    return (inside + [h for h in hits if h.category != case.category])[:5]


async def case_page_for(request: Request, actor: Actor, case_id: int, *, error: str = "", status_code: int = 200,
                        reply_text: str = "", bind_code: str = "", notice: str = "", revealed: Any = None) -> Response:
    await cases_service.refresh_deliveries(case_id=case_id)  # the page shows how queued answers ended
    view = await cases_service.get_case(actor=actor, case_id=case_id)
    case = view.case
    # 等保: every rendering of a case page shows the resident's data: audit-logged (who, whom, when)
    await cases_service.record_view(actor=actor, page="case", resident_id=case.resident_id, case_id=case.id,
                                    case_number=case.number, ip=client_ip(request))
    await notices.mark_read(staff_id=actor.id, case_id=case.id)
    quick = await _quick_replies(case, [m.text for m in view.messages if m.role == "resident"])
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
    units = await unit_names()
    return render(request, "cases/case.html", {
        "v": view, "case": case, "quick": quick, "canned": await cases_service.list_canned(actor=actor),
        "colleagues": colleagues, "may_receive": may_receive, "units": units, "unit_choices": sorted(units.items()),
        "event_zh": EVENT_ZH, "msg_role": ROLE_OF_MESSAGE, "due_badge": DUE_BADGE, "categories": CATEGORY_ZH,
        "delivery_zh": DELIVERY_ZH, "is_owner": case.owner_id == actor.id, "is_admin": actor.role == Role.DISTRICT_ADMIN,
        "can": states.actions_for(case.status), "is_open": states.is_open(case.status),
        "handles": view.handles and not actor.read_only,
        "notice": notice or NOTICES.get(request.query_params.get("notice", ""), ""),
        "error": error, "reply_text": reply_text, "staff_names": {s.id: s.name for s in colleagues},
        "bind_code": bind_code, "has_hidden": has_hidden, "revealed_text": revealed is not None,
        "sign_required": "case.closed" in get_settings().signed_actions,
        "sign_result_required": "case.result_given" in get_settings().signed_actions,
        "levels": LEVEL_ZH, "my_clearance": actor.clearance,
    }, status_code=status_code)


@router.get("/console/cases/{case_id}")
async def case_page(request: Request, case_id: int, actor: Staff) -> Response:
    return await case_page_for(request, actor, case_id)


async def _act(request: Request, actor: Actor, case_id: int, notice: str, call: Callable[[], Awaitable[Any]],
               *, reply_text: str = "") -> Response:
    """Run one service call; back to the case page with a notice, or the page again with the error."""
    try:
        await call()
    except NotFound:
        raise
    except FawuError as exc:
        return await case_page_for(request, actor, case_id, error=exc.message_zh, status_code=exc.status,
                                reply_text=reply_text)
    return RedirectResponse(f"/console/cases/{case_id}?notice={notice}", status_code=303)


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
    return await _act(request, actor, case_id, "note", lambda: cases_service.add_note(
        actor=actor, case_id=case_id, text=text))


@router.post("/console/cases/{case_id}/result")
async def give_result(request: Request, case_id: int, actor: Staff, text: Text = "",
                      told: Annotated[str, Form(pattern="^(|wechat|phone|in_person)$")] = "",
                      pin: Annotated[str, Form(max_length=128)] = "") -> Response:
    """The result: by WeChat when the resident is linked, else recorded as told by phone or in person."""
    how = told if told in ("phone", "in_person") else None
    return await _act(request, actor, case_id, "result", lambda: cases_service.give_result(
        actor=actor, case_id=case_id, text=text, told=how, pin=pin, ip=client_ip(request)))


@router.post("/console/cases/{case_id}/close")
async def close(request: Request, case_id: int, actor: Staff, reason: Text = "",
                pin: Annotated[str, Form(max_length=128)] = "") -> Response:
    return await _act(request, actor, case_id, "close", lambda: cases_service.close(
        actor=actor, case_id=case_id, reason=reason, pin=pin, ip=client_ip(request)))


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
    response = await case_page_for(request, actor, case_id, revealed=revealed)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/console/cases/{case_id}/label")
async def label(request: Request, case_id: int, actor: Staff, level: Annotated[int, Form(ge=0, le=3)] = 1,
                reason: Text = "") -> Response:
    """安全标记: the case's sensitivity level (audited)."""
    return await _act(request, actor, case_id, "label", lambda: cases_service.set_security_level(
        actor=actor, case_id=case_id, level=level, reason=reason, ip=client_ip(request)))


@router.post("/console/cases/{case_id}/archive")
async def archive(request: Request, case_id: int, actor: Staff) -> Response:
    return await _act(request, actor, case_id, "archive", lambda: cases_service.archive(actor=actor, case_id=case_id))


@router.post("/console/cases/{case_id}/category")
async def recategorize(request: Request, case_id: int, actor: Staff,
                       category: Annotated[str, Form(max_length=24)] = "", reason: Text = "") -> Response:
    """Correct the category (written to the history with the old value)."""
    return await _act(request, actor, case_id, "category", lambda: cases_service.recategorize(
        actor=actor, case_id=case_id, category=category, reason=reason))


@router.post("/console/cases/{case_id}/urgent")
async def mark_urgent(request: Request, case_id: int, actor: Staff, reason: Text = "") -> Response:
    return await _act(request, actor, case_id, "urgent", lambda: cases_service.mark_urgent(
        actor=actor, case_id=case_id, reason=reason or "工作人员标记紧急"))


@router.post("/console/cases/{case_id}/bind_code")
async def bind_code(request: Request, case_id: int, actor: Staff) -> Response:
    """A new code for the resident to link WeChat (shown once on the page)."""
    code = await cases_service.case_bind_code(actor=actor, case_id=case_id)
    return await case_page_for(request, actor, case_id, bind_code=code.code, notice=NOTICES["code"])


# --- residents ---------------------------------------------------------------------------------

async def _resident_page(request: Request, actor: Actor, resident_id: int,
                         revealed: dict[str, str] | None = None) -> Response:
    view = await cases_service.view_resident(actor=actor, resident_id=resident_id, ip=client_ip(request))
    return render(request, "cases/resident.html", {
        "r": view, "revealed": revealed or {}, "units": await unit_names(), "due_badge": DUE_BADGE,
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
