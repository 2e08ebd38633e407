"""Public pages of the catalogue (/catalog), the directory (/catalog/providers) and the case library
(/catalog/cases): server-rendered, mobile first, large type; no login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.booking import service as booking_service
from app.catalog import service
from app.config import get_settings
from app.consult import service as consult_service
from app.org import service as org_service
from app.web import templates

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Query(max_length=50)]


def _ctx(request: Request, section: str, **extra: object) -> dict[str, object]:
    board = request.query_params.get("board", "")
    back = f"/s/{board}" if board.isalnum() and len(board) <= 24 else ""
    return {"section": section, "hotline": get_settings().hotline, "back": back, "limit_zh": service.time_limit_zh,
            "kinds": service.KIND_ZH, **extra}


@router.get("/catalog", response_class=HTMLResponse)
async def services_page(request: Request, q: Short = "", group: Short = "") -> HTMLResponse:
    rows = await service.list_services(q=q.strip(), group=group)
    return templates.TemplateResponse(request, "catalog/services.html", _ctx(
        request, "services", rows=rows, q=q, group=group, groups=await service.groups()))


@router.get("/catalog/services/{code}", response_class=HTMLResponse)
async def service_page(request: Request, code: str) -> HTMLResponse:
    row = await service.get_service(code)
    cases = await service.related_cases([row.name, *row.data.get("keywords", [])])
    refs = set(row.refs or [])  # booking's services this entry names (booking:<code>) and are open to book
    bookable = [s for s in await booking_service.services() if booking_service.catalogue_ref(s.code) in refs]
    ctx = _ctx(request, "services", s=row, d=row.data, cases=cases, providers=bool(row.data.get("providers")),
               bookable=bookable)
    board = request.query_params.get("board", "")
    ctx["consult_url"] = f"/s/{board}/consult" if ctx["back"] else ""
    ctx["board"] = board if ctx["back"] else ""
    return templates.TemplateResponse(request, "catalog/service.html", ctx)


@router.get("/catalog/providers", response_class=HTMLResponse)
async def providers_page(request: Request, township: Short = "", speciality: Short = "", kind: Short = "",
                         q: Short = "") -> HTMLResponse:
    rows = await service.search_providers(township=township, speciality=speciality, kind=kind, q=q.strip())
    townships = await org_service.list_units(org_service.TOWNSHIP)
    return templates.TemplateResponse(request, "catalog/providers.html", _ctx(
        request, "providers", rows=rows, townships=townships, township=township, speciality=speciality, kind=kind,
        q=q, specialities=service.SPECIALITIES))


@router.get("/catalog/providers/{code}", response_class=HTMLResponse)
async def provider_page(request: Request, code: str) -> HTMLResponse:
    types = await service.record_types()
    page = await service.provider_page(code, record_types=types)
    names = {u.code: u.name for u in await org_service.list_units(org_service.TOWNSHIP)}
    return templates.TemplateResponse(request, "catalog/provider.html", _ctx(
        request, "providers", page=page, p=page.provider, types=types,
        townships=[names.get(t, t) for t in page.provider.townships]))


@router.get("/catalog/cases", response_class=HTMLResponse)
async def cases_page(request: Request, q: Short = "", category: Short = "") -> HTMLResponse:
    rows = await service.list_cases(q=q.strip(), category=category)
    return templates.TemplateResponse(request, "catalog/cases.html", _ctx(
        request, "cases", rows=rows, q=q, category=category, categories=consult_service.category_labels()))


@router.get("/catalog/cases/{slug}", response_class=HTMLResponse)
async def case_page(request: Request, slug: str) -> HTMLResponse:
    c = await service.get_case(slug)
    return templates.TemplateResponse(request, "catalog/case.html", _ctx(
        request, "cases", c=c, sections=service.CASE_SECTIONS, categories=consult_service.category_labels(),
        services=await service.related_services([*c.tags, consult_service.category_labels().get(c.category, "")])))
