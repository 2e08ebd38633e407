"""Console pages that edit the catalogue (district administrators) and the provider directory (district
administrators; township staff their own township's providers): list, create, edit, unpublish."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.catalog import service
from app.console.kit.auth import require_role, require_staff
from app.console.kit.layout import render
from app.core.actor import Actor, Role
from app.errors import FawuError
from app.org import service as org_service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]
Reader = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN, Role.SUPERVISOR))]
Admin = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN))]
Editor = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN, Role.TOWNSHIP_STAFF, Role.SUPERVISOR))]
Line = Annotated[str, Form(max_length=500)]
SERVICE_FIELDS = [f.name for f in fields(service.ServiceInput)]
PROVIDER_FIELDS = [f.name for f in fields(service.ProviderInput)]


def _go(path: str, *, notice: str = "", error: str = "") -> RedirectResponse:
    q = {k: v for k, v in {"notice": notice, "error": error}.items() if v}
    return RedirectResponse(path + (f"?{urlencode(q)}" if q else ""), status_code=303)


async def _form(request: Request, names: list[str]) -> dict[str, str]:
    """The form's text fields (each cut to 4000 characters: never a 500 on a long paste)."""
    form = await request.form()
    return {k: str(form.get(k, ""))[:4000] for k in names}


# ---- services (服务清单) ----

@router.get("/console/catalog/services", response_class=HTMLResponse)
async def services_list(request: Request, actor: Reader, notice: str = "") -> Response:
    return render(request, "catalog/console_services.html", {
        "rows": await service.list_all_services(), "notice": notice, "limit_zh": service.time_limit_zh,
        "can_change": actor.role == Role.DISTRICT_ADMIN})


async def _service_editor(request: Request, actor: Actor, data: service.ServiceInput, *, row: Any = None,
                          error: str = "", notice: str = "", status_code: int = 200) -> Response:
    return render(request, "catalog/console_service.html", {
        "d": data, "s": row, "error": error, "notice": notice, "kinds": service.KIND_ZH,
        "history": await service.history(row.code) if row is not None else [], "limit_zh": service.time_limit_zh,
        "can_change": actor.role == Role.DISTRICT_ADMIN}, status_code=status_code)


@router.get("/console/catalog/services/new", response_class=HTMLResponse)
async def service_new(request: Request, actor: Reader) -> Response:
    return await _service_editor(request, actor, service.ServiceInput())


@router.post("/console/catalog/services/new", response_class=HTMLResponse)
async def service_create(request: Request, actor: Admin) -> Response:
    data = service.ServiceInput(**await _form(request, SERVICE_FIELDS))
    try:
        row = await service.create_service(actor=actor, data=data)
    except FawuError as exc:
        return await _service_editor(request, actor, data, error=exc.message_zh,
                                     status_code=exc.status if exc.status in (403, 404) else 200)
    return _go(f"/console/catalog/services/{quote(row.code)}", notice="已新增并发布")


@router.get("/console/catalog/services/{service_code}", response_class=HTMLResponse)
async def service_edit(request: Request, actor: Reader, service_code: str, notice: str = "", error: str = "") -> Response:
    row = await service.get_any_service(service_code[:40])
    return await _service_editor(request, actor, service.service_input(row), row=row, notice=notice, error=error)


@router.post("/console/catalog/services/{service_code}", response_class=HTMLResponse)
async def service_save(request: Request, actor: Admin, service_code: str) -> Response:
    row = await service.get_any_service(service_code[:40])
    form = await _form(request, [*SERVICE_FIELDS, "reason"])
    reason = form.pop("reason")[:200]
    data = service.ServiceInput(**form)
    try:
        row = await service.update_service(actor=actor, code=row.code, data=data, reason=reason)
    except FawuError as exc:
        return await _service_editor(request, actor, data, row=row, error=exc.message_zh,
                                     status_code=exc.status if exc.status in (403, 404) else 200)
    return _go(f"/console/catalog/services/{quote(row.code)}", notice=f"已保存（第 {row.version} 版）")


@router.post("/console/catalog/services/{service_code}/unpublish", response_class=HTMLResponse)
async def service_unpublish(request: Request, actor: Admin, service_code: str, reason: Line = "") -> Response:
    try:
        row = await service.set_service_published(actor=actor, code=service_code[:40], published=False, reason=reason)
    except FawuError as exc:
        return _go(f"/console/catalog/services/{quote(service_code[:40])}", error=exc.message_zh)
    return _go(f"/console/catalog/services/{quote(row.code)}", notice="已停用，公开页面不再显示")


@router.post("/console/catalog/services/{service_code}/publish", response_class=HTMLResponse)
async def service_publish(request: Request, actor: Admin, service_code: str) -> Response:
    try:
        row = await service.set_service_published(actor=actor, code=service_code[:40], published=True)
    except FawuError as exc:
        return _go(f"/console/catalog/services/{quote(service_code[:40])}", error=exc.message_zh)
    return _go(f"/console/catalog/services/{quote(row.code)}", notice="已重新发布")


# ---- providers (服务机构名录) ----

async def _townships() -> dict[str, str]:
    return {u.code: u.name for u in await org_service.list_units(org_service.TOWNSHIP)}


@router.get("/console/catalog/providers", response_class=HTMLResponse)
async def providers_list(request: Request, actor: Editor, q: str = "", notice: str = "") -> Response:
    return render(request, "catalog/console_providers.html", {
        "rows": await service.console_providers(actor=actor, q=q[:50]), "q": q[:50], "notice": notice,
        "kinds": service.KIND_ZH, "townships": await _townships(), "can_change": not actor.read_only})


async def _provider_editor(request: Request, actor: Actor, data: service.ProviderInput, *, row: Any = None,
                           error: str = "", notice: str = "", status_code: int = 200) -> Response:
    return render(request, "catalog/console_provider.html", {
        "d": data, "p": row, "error": error, "notice": notice, "kinds": service.KIND_ZH,
        "townships": await _townships(), "specialities": service.SPECIALITIES,
        "can_change": not actor.read_only}, status_code=status_code)


@router.get("/console/catalog/providers/new", response_class=HTMLResponse)
async def provider_new(request: Request, actor: Editor) -> Response:
    return await _provider_editor(request, actor, service.ProviderInput(townships="；".join(
        [] if actor.scope.all_units else actor.unit_codes)))


@router.post("/console/catalog/providers/new", response_class=HTMLResponse)
async def provider_create(request: Request, actor: Editor) -> Response:
    data = service.ProviderInput(**await _form(request, PROVIDER_FIELDS))
    try:
        p = await service.create_provider(actor=actor, data=data, townships=set(await _townships()))
    except FawuError as exc:
        return await _provider_editor(request, actor, data, error=exc.message_zh,
                                     status_code=exc.status if exc.status in (403, 404) else 200)
    return _go(f"/console/catalog/providers/{quote(p.code)}", notice="已新增并发布")


@router.get("/console/catalog/providers/{provider_code}", response_class=HTMLResponse)
async def provider_edit(request: Request, actor: Editor, provider_code: str, notice: str = "", error: str = "") -> Response:
    p = await service.get_provider_for(actor, provider_code[:32])
    return await _provider_editor(request, actor, service.provider_input(p), row=p, notice=notice, error=error)


@router.post("/console/catalog/providers/{provider_code}", response_class=HTMLResponse)
async def provider_save(request: Request, actor: Editor, provider_code: str) -> Response:
    p = await service.get_provider_for(actor, provider_code[:32])  # another township's: not found (404)
    data = service.ProviderInput(**await _form(request, PROVIDER_FIELDS))
    try:
        p = await service.update_provider(actor=actor, code=p.code, data=data, townships=set(await _townships()))
    except FawuError as exc:
        return await _provider_editor(request, actor, data, row=p, error=exc.message_zh,
                                     status_code=exc.status if exc.status in (403, 404) else 200)
    return _go(f"/console/catalog/providers/{quote(p.code)}", notice="已保存")


@router.post("/console/catalog/providers/{provider_code}/unpublish", response_class=HTMLResponse)
async def provider_unpublish(request: Request, actor: Editor, provider_code: str, reason: Line = "") -> Response:
    p = await service.get_provider_for(actor, provider_code[:32])
    try:
        await service.set_provider_published(actor=actor, code=p.code, published=False, reason=reason)
    except FawuError as exc:
        return _go(f"/console/catalog/providers/{quote(p.code)}", error=exc.message_zh)
    return _go(f"/console/catalog/providers/{quote(p.code)}", notice="已停用，公开名录不再显示")


@router.post("/console/catalog/providers/{provider_code}/publish", response_class=HTMLResponse)
async def provider_publish(request: Request, actor: Editor, provider_code: str) -> Response:
    p = await service.get_provider_for(actor, provider_code[:32])
    try:
        await service.set_provider_published(actor=actor, code=p.code, published=True)
    except FawuError as exc:
        return _go(f"/console/catalog/providers/{quote(p.code)}", error=exc.message_zh)
    return _go(f"/console/catalog/providers/{quote(p.code)}", notice="已重新发布")
