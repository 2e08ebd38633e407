"""Console pages of the catalog: the case library's editor and review (write → submit → a district
administrator other than the author publishes), and practice records (add, revoke, change the period)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.catalog import service
from app.console.kit.auth import require_role, require_staff
from app.console.kit.layout import render
from app.consult import service as consult_service
from app.core.actor import Actor, Role
from app.errors import FawuError

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]
Admin = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN))]
Reader = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN, Role.SUPERVISOR))]
Line = Annotated[str, Form(max_length=500)]
Body = Annotated[str, Form(max_length=8000)]


def _go(path: str, *, notice: str = "", error: str = "") -> RedirectResponse:
    q = {k: v for k, v in {"notice": notice, "error": error}.items() if v}
    return RedirectResponse(path + (f"?{urlencode(q)}" if q else ""), status_code=303)


@router.get("/console/catalog", response_class=HTMLResponse)
async def index(request: Request, actor: Staff, status: str = "", notice: str = "") -> Response:
    rows = await service.console_cases(actor=actor, status=status if status in service.STATUS_ZH else "")
    return render(request, "catalog/console_cases.html", {
        "rows": rows, "status": status, "status_zh": service.STATUS_ZH, "notice": notice,
        "labels": consult_service.category_labels(), "is_admin": actor.role in (Role.DISTRICT_ADMIN, Role.SUPERVISOR)})


def _input(title: str, category: str, tags: str, laws: str, pseudonyms: str, facts: str, dispute: str,
           resolution: str, law_text: str, lesson: str) -> service.CaseInput:
    return service.CaseInput(title=title, category=category, tags=tags, laws=laws, pseudonyms=pseudonyms, facts=facts,
                             dispute=dispute, resolution=resolution, law_text=law_text, lesson=lesson)


async def _editor(request: Request, actor: Actor, data: service.CaseInput, *, case: object = None, error: str = "",
                  notice: str = "", problems: list[str] | None = None, status_code: int = 200) -> Response:
    return render(request, "catalog/console_case.html", {
        "d": data, "c": case, "labels": consult_service.category_labels(), "error": error, "notice": notice,
        "problems": problems or [], "status_zh": service.STATUS_ZH, "sections": service.CASE_SECTIONS,
        "can_edit": not actor.read_only and (case is None or service.can_edit(actor, case)),  # type: ignore[arg-type]
        "may_review": actor.role == Role.DISTRICT_ADMIN and case is not None
        and getattr(case, "author_id", None) != actor.id}, status_code=status_code)


EMPTY = service.CaseInput(title="", category="", tags="", laws="", pseudonyms="", facts="", dispute="", resolution="",
                          law_text="", lesson="")


@router.get("/console/catalog/cases/new", response_class=HTMLResponse)
async def new_case(request: Request, actor: Staff) -> Response:
    return await _editor(request, actor, EMPTY)


@router.post("/console/catalog/cases/new", response_class=HTMLResponse)
async def create_case(request: Request, actor: Staff, title: Line = "", category: Line = "", tags: Line = "",
                      laws: Body = "", pseudonyms: Line = "", facts: Body = "", dispute: Body = "",
                      resolution: Body = "", law_text: Body = "", lesson: Body = "") -> Response:
    data = _input(title, category, tags, laws, pseudonyms, facts, dispute, resolution, law_text, lesson)
    try:
        row = await service.create_case(actor=actor, data=data, categories=consult_service.category_labels())
    except FawuError as exc:
        return await _editor(request, actor, data, error=exc.message_zh)
    return _go(f"/console/catalog/cases/{row.id}", notice="草稿已保存")


@router.get("/console/catalog/cases/{study_id}", response_class=HTMLResponse)
async def edit_case(request: Request, actor: Staff, study_id: int, notice: str = "", error: str = "") -> Response:
    row = await service.get_case_for(actor, study_id)
    return await _editor(request, actor, service.as_input(row), case=row, notice=notice, error=error,
                         problems=await service.anonymity_problems(row))


@router.post("/console/catalog/cases/{study_id}", response_class=HTMLResponse)
async def save_case(request: Request, actor: Staff, study_id: int, title: Line = "", category: Line = "",
                    tags: Line = "", laws: Body = "", pseudonyms: Line = "", facts: Body = "", dispute: Body = "",
                    resolution: Body = "", law_text: Body = "", lesson: Body = "") -> Response:
    data = _input(title, category, tags, laws, pseudonyms, facts, dispute, resolution, law_text, lesson)
    row = await service.get_case_for(actor, study_id)  # another's draft: not found (404), outside the form's errors
    try:
        await service.update_case(actor=actor, case_id=study_id, data=data,
                                  categories=consult_service.category_labels())
    except FawuError as exc:
        return await _editor(request, actor, data, case=row, error=exc.message_zh)
    return _go(f"/console/catalog/cases/{study_id}", notice="已保存为草稿，需重新提交审核")


async def _step(actor: Actor, study_id: int, done: str, step: Any) -> RedirectResponse:
    await service.get_case_for(actor, study_id)  # another's draft: not found (404)
    try:
        await step()
    except FawuError as exc:
        return _go(f"/console/catalog/cases/{study_id}", error=exc.message_zh)
    return _go(f"/console/catalog/cases/{study_id}", notice=done)


@router.post("/console/catalog/cases/{study_id}/submit", response_class=HTMLResponse)
async def submit_case(request: Request, actor: Staff, study_id: int) -> Response:
    return await _step(actor, study_id, "已提交审核", lambda: service.submit_case(actor=actor, case_id=study_id))


@router.post("/console/catalog/cases/{study_id}/approve", response_class=HTMLResponse)
async def approve_case(request: Request, actor: Staff, study_id: int) -> Response:
    return await _step(actor, study_id, "已审核发布", lambda: service.approve_case(actor=actor, case_id=study_id))


@router.post("/console/catalog/cases/{study_id}/return", response_class=HTMLResponse)
async def return_case(request: Request, actor: Staff, study_id: int, comment: Line = "") -> Response:
    return await _step(actor, study_id, "已退回作者",
                       lambda: service.return_case(actor=actor, case_id=study_id, comment=comment))


# ---- practice records (执业信息披露): district administrators ----

@router.get("/console/catalog/records", response_class=HTMLResponse)
async def records(request: Request, actor: Reader, provider: str = "", notice: str = "", error: str = "") -> Response:
    rows = await service.record_history(provider_code=provider[:32])
    providers = await service.search_providers(limit=1000)
    return render(request, "catalog/console_records.html", {
        "rows": rows, "types": await service.record_types(), "providers": providers, "provider": provider,
        "names": {p.code: p.name for p in providers}, "notice": notice, "error": error,
        "is_visible": service.is_visible, "today": service.local_today(), "can_change": not actor.read_only})


def _date(v: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(v) if v else None
    except ValueError as exc:
        raise service.BadRecord(f"日期格式不对：{v}（应为 YYYY-MM-DD）") from exc


@router.post("/console/catalog/records", response_class=HTMLResponse)
async def add_record(request: Request, actor: Admin, provider_code: Line = "", type: Line = "",
                     decision_date: Line = "", authority: Line = "", summary: Body = "", source_ref: Line = "",
                     display_until: Line = "") -> Response:
    try:
        decided = _date(decision_date)
        if decided is None:
            raise service.BadRecord("请填写决定日期。")
        await service.add_record(actor=actor, provider_code=provider_code, type=type, decision_date=decided,
                                 authority=authority, summary=summary, source_ref=source_ref,
                                 until=_date(display_until), record_types=await service.record_types())
    except FawuError as exc:
        return _go("/console/catalog/records", error=exc.message_zh)
    return _go(f"/console/catalog/records?provider={provider_code}", notice="已登记，公示期内在公开页面显示")


@router.post("/console/catalog/records/{record_id}/revoke", response_class=HTMLResponse)
async def revoke_record(request: Request, actor: Admin, record_id: int, reason: Line = "") -> Response:
    try:
        r = await service.revoke_record(actor=actor, record_id=record_id, reason=reason)
    except FawuError as exc:
        return _go("/console/catalog/records", error=exc.message_zh)
    return _go(f"/console/catalog/records?provider={r.provider_code}", notice="已撤回，公开页面不再显示")


@router.post("/console/catalog/records/{record_id}/period", response_class=HTMLResponse)
async def record_period(request: Request, actor: Admin, record_id: int, display_until: Line = "") -> Response:
    try:
        until = _date(display_until)
        if until is None:
            raise service.BadRecord("请填写公示截止日期。")
        r = await service.set_display_until(actor=actor, record_id=record_id, until=until)
    except FawuError as exc:
        return _go("/console/catalog/records", error=exc.message_zh)
    return _go(f"/console/catalog/records?provider={r.provider_code}", notice="公示期已修改")
