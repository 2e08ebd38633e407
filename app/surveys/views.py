"""Survey pages: the resident's form (/survey/t/<signed token>, and /survey for a receipt code), and
the staff pages (/console/surveys: figures, CSV, bad reviews and putting them right)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.booking import service as booking_service
from app.cases import service as cases_service
from app.config import get_settings
from app.console.kit import charts
from app.console.kit.auth import client_ip, current_user, require_staff
from app.console.kit.layout import render
from app.core.actor import Actor
from app.core.clock import to_local, utcnow
from app.errors import FawuError, NotFound
from app.staff import service as staff_service
from app.surveys import service
from app.web import templates

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]
Text = Annotated[str, Form(max_length=2000)]
NOTICES = {"callback": "回访已记录。", "verify": "核实情况已记录。", "rectify": "整改措施已记录。",
           "answer": "答复已发送给居民。", "appeal": "已提交申诉复核，等待区级决定。", "decided": "复核决定已记录。"}


# ---- the resident's page --------------------------------------------------------------------------

async def _staff_refused(request: Request) -> Response | None:
    """A staff session never rates (no rating of oneself): 403."""
    if await current_user(request) is not None:
        return templates.TemplateResponse(request, "surveys/refused.html", {
            "message": "工作人员登录状态下不能评价。评价只能由居民本人通过邀请链接填写。"}, status_code=403)
    return None


def _refused(request: Request, exc: FawuError) -> Response:
    return templates.TemplateResponse(request, "surveys/refused.html", {"message": exc.message_zh},
                                      status_code=exc.status)


async def _form(request: Request, token: str, *, error: str = "", done: str = "", status_code: int = 200,
                code: str = "") -> Response:
    inv = await service.invitation_for_token(token)
    survey = await service.used(inv.survey_key, inv.survey_version)
    resp = await service.response_of(invitation_id=inv.id)
    return templates.TemplateResponse(request, "surveys/form.html", {
        "inv": inv, "survey": survey, "questions": survey.questions_for(inv.service), "token": token,
        "resp": resp, "error": error, "done": done, "followup": service.followup_open(resp),
        "locked": resp is not None and not service.in_correction_window(resp), "code": code,
    }, status_code=status_code)


@router.get("/survey/t/{token}", response_class=HTMLResponse)
async def survey_page(request: Request, token: str) -> Response:
    if (refused := await _staff_refused(request)) is not None:
        return refused
    try:
        return await _form(request, token)
    except service.TokenRefused as exc:
        return _refused(request, exc)


@router.post("/survey/t/{token}", response_class=HTMLResponse)
async def survey_submit(request: Request, token: str) -> Response:
    if (refused := await _staff_refused(request)) is not None:
        return refused
    try:
        inv = await service.invitation_for_token(token)
    except service.TokenRefused as exc:
        return _refused(request, exc)
    form = await request.form()
    answers: dict[str, Any] = {}
    for key in form:
        values = form.getlist(key)
        answers[key] = [str(v) for v in values] if len(values) > 1 or key.endswith("[]") else str(values[0])
    answers = {k.removesuffix("[]"): v for k, v in answers.items()}
    try:
        if form.get("followup"):
            await service.followup(invitation_id=inv.id, level=str(form.get("level", "")),
                                   text=str(form.get("followup_text", "")))
            return await _form(request, token, done="已记录您的追评，感谢您的监督！")
        await service.answer(invitation_id=inv.id, level=str(form.get("level", "")), answers=answers, via="web")
    except FawuError as exc:
        return await _form(request, token, error=exc.message_zh, status_code=exc.status)
    return await _form(request, token, done="感谢您的评价！")


@router.get("/survey", response_class=HTMLResponse)
async def landing(request: Request, code: str = "") -> Response:
    """The board's landing page for walk-ins: the code printed on the receipt (its QR fills it in)."""
    code = code if code.isdigit() and len(code) <= 12 else ""
    return templates.TemplateResponse(request, "surveys/landing.html", {"error": "", "code": code})


@router.post("/survey", response_class=HTMLResponse)
async def landing_code(request: Request, code: Annotated[str, Form(max_length=12)] = "") -> Response:
    if (refused := await _staff_refused(request)) is not None:
        return refused
    try:
        inv = await service.by_receipt_code(code)
    except FawuError as exc:
        return templates.TemplateResponse(request, "surveys/landing.html", {"error": exc.message_zh},
                                          status_code=exc.status)
    return RedirectResponse(f"/survey/t/{service.make_token(inv)}", status_code=303)


# ---- the receipt (回执评价码) ---------------------------------------------------------------------

def _qr_svg(text: str) -> str:
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


async def _receipt_page(request: Request, actor: Actor, service_key: str) -> Response:
    """The service itself was found in the actor's scope; no invitation (yet, or skipped) is said on the page."""
    try:
        receipt = await service.receipt_for(scope=actor.scope, service_key=service_key)
    except service.InvitationNotFound as exc:
        return render(request, "surveys/receipt.html", {"receipt": None, "error": exc.message_zh})
    qr = await asyncio.to_thread(_qr_svg, receipt.url)
    return render(request, "surveys/receipt.html", {
        "receipt": receipt, "inv": receipt.invitation, "qr": qr, "error": "", "printed_at": utcnow(),
        "type_zh": service.TYPE_ZH, "gap": get_settings().survey_resident_gap_hours})


@router.get("/console/cases/{case_id}/survey-receipt")
async def case_receipt(request: Request, case_id: int, actor: Staff) -> Response:
    """The walk-in's ticket: the 8-digit code and its QR, to print with the result (当面告知)."""
    await cases_service.get_case(actor=actor, case_id=case_id)  # in the actor's sight, else not found
    return await _receipt_page(request, actor, f"case:{case_id}")


@router.get("/console/booking/{booking_id}/survey-receipt")
async def booking_receipt(request: Request, booking_id: int, actor: Staff) -> Response:
    """The ticket after check-in at the desk (the invitation is made by the check-in's job)."""
    await booking_service.booking_in_scope(actor.scope, booking_id)  # another unit's booking: 404
    return await _receipt_page(request, actor, f"booking:{booking_id}")


# ---- staff pages --------------------------------------------------------------------------------

@router.get("/console/surveys")
async def figures_page(request: Request, actor: Staff, by: str = "township") -> Response:
    rows, total = await service.compute(actor=actor, by=by)
    bars = [(f"{r.label}（{r.satisfied}/{r.counted}）", float(r.satisfaction)) for r in rows
            if r.satisfaction is not None]
    return render(request, "surveys/figures.html", {
        "rows": rows, "total": total, "columns": service.COLUMNS, "by": by if by in service.GROUPS else "township", "groups": service.GROUPS,
        "shown": service.shown, "chart": charts.bar_chart(bars, unit="%", color="#7e57c2"),
        "ring": charts.ring(total.satisfaction, label="满意率"), "generated_at": utcnow()})


@router.get("/console/surveys/export")
async def export(request: Request, actor: Staff, by: str = "township") -> Response:
    """The same rows as the page, as CSV (UTF-8 with BOM for Excel)."""
    rows, total = await service.compute(actor=actor, by=by)
    buf = io.StringIO()
    csv.writer(buf).writerows(service.csv_rows(rows, total))
    await staff_service.audit(actor=actor, action="surveys.export", target_type="surveys", detail={"by": by},
                              ip=client_ip(request))
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M")
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="surveys-{by}-{stamp}.csv"'})


@router.get("/console/surveys/bad")
async def bad_list(request: Request, actor: Staff, state: str = "open") -> Response:
    reviews = await service.list_bad(actor=actor, state=state)
    return render(request, "surveys/bad.html", {"reviews": reviews, "state": state})


async def review_page_for(request: Request, actor: Actor, response_id: int, *, error: str = "",
                          status_code: int = 200) -> Response:
    review = await service.view_review(actor=actor, response_id=response_id, ip=client_ip(request))
    return render(request, "surveys/review.html", {
        "r": review, "resp": review.response, "inv": review.invitation, "findings": service.FINDINGS,
        "appeal_zh": service.APPEAL_ZH, "levels": service.LEVELS, "error": error,
        "notice": NOTICES.get(request.query_params.get("notice", ""), "")}, status_code=status_code)


@router.get("/console/surveys/bad/{response_id}")
async def review_page(request: Request, response_id: int, actor: Staff) -> Response:
    return await review_page_for(request, actor, response_id)


async def _act(request: Request, actor: Actor, response_id: int, notice: str,
               call: Callable[[], Awaitable[Any]]) -> Response:
    try:
        await call()
    except NotFound:
        raise
    except FawuError as exc:
        return await review_page_for(request, actor, response_id, error=exc.message_zh, status_code=exc.status)
    return RedirectResponse(f"/console/surveys/bad/{response_id}?notice={notice}", status_code=303)


@router.post("/console/surveys/bad/{response_id}/callback")
async def callback(request: Request, response_id: int, actor: Staff, note: Text = "",
                   reached: Annotated[str, Form()] = "1") -> Response:
    return await _act(request, actor, response_id, "callback", lambda: service.record_callback(
        actor=actor, response_id=response_id, note=note, reached=reached == "1"))


@router.post("/console/surveys/bad/{response_id}/verify")
async def verify(request: Request, response_id: int, actor: Staff, note: Text = "",
                 finding: Annotated[str, Form(max_length=8)] = "") -> Response:
    return await _act(request, actor, response_id, "verify", lambda: service.verify(
        actor=actor, response_id=response_id, finding=finding, note=note))


@router.post("/console/surveys/bad/{response_id}/rectify")
async def rectify(request: Request, response_id: int, actor: Staff, measures: Text = "") -> Response:
    return await _act(request, actor, response_id, "rectify", lambda: service.rectify(
        actor=actor, response_id=response_id, measures=measures))


@router.post("/console/surveys/bad/{response_id}/answer")
async def answer(request: Request, response_id: int, actor: Staff, text: Text = "") -> Response:
    return await _act(request, actor, response_id, "answer", lambda: service.answer_resident(
        actor=actor, response_id=response_id, text=text))


@router.post("/console/surveys/bad/{response_id}/appeal")
async def appeal(request: Request, response_id: int, actor: Staff, reason: Text = "") -> Response:
    return await _act(request, actor, response_id, "appeal", lambda: service.request_appeal(
        actor=actor, response_id=response_id, reason=reason))


@router.post("/console/surveys/bad/{response_id}/decide")
async def decide(request: Request, response_id: int, actor: Staff, note: Text = "",
                 upheld: Annotated[str, Form()] = "") -> Response:
    return await _act(request, actor, response_id, "decided", lambda: service.decide_appeal(
        actor=actor, response_id=response_id, upheld=upheld == "1", note=note))


@router.post("/console/cases/{case_id}/no-survey")
async def no_survey(request: Request, case_id: int, actor: Staff, reason: Text = "") -> Response:
    """Close a case without survey (不发起评价), with a reason; shown on the case."""
    if actor.read_only:
        raise service.ReviewForbidden("督导账号只能查看。")
    await cases_service.get_case(actor=actor, case_id=case_id)  # in the actor's sight, else not found
    if not reason.strip():
        return RedirectResponse(f"/console/cases/{case_id}?notice=", status_code=303)
    await service.skip_case(case_id=case_id, reason=reason, actor_name=actor.name)
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303)
