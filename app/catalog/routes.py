"""JSON API of the catalogue for the mini-program (anonymous, read-only): services, providers with the
records in their display period, published cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.catalog import service
from app.catalog.models import CaseStudy, CatalogService, PracticeRecord, Provider
from app.consult import service as consult_service

router = APIRouter(prefix="/api/catalog", tags=["catalog"])
Short = Annotated[str, Query(max_length=50)]


def _service(s: CatalogService, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"code": s.code, "name": s.name, "group": s.group, "summary": s.data.get("summary", ""),
                           "time_limit": s.time_limit, "time_limit_zh": service.time_limit_zh(s.time_limit),
                           "cost": s.data.get("cost", ""), "url": f"/catalog/services/{s.code}"}
    if full:
        out.update({k: s.data.get(k) for k in ("who", "where", "commitment", "result", "funding", "materials",
                                               "basis", "policy", "providers")})
    return out


def _provider(p: Provider) -> dict[str, Any]:
    return {"code": p.code, "kind": p.kind, "kind_zh": service.KIND_ZH.get(p.kind, p.kind), "name": p.name,
            "parent_code": p.parent_code, "townships": p.townships, "specialities": p.specialities,
            "duty_hours": p.duty_hours, "dialects": p.dialects, "phone": p.phone, "address": p.address,
            "licence_no": p.licence_no, "intro": p.intro, "url": f"/catalog/providers/{p.code}"}


def _record(r: PracticeRecord, types: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"type": r.type, "type_zh": types.get(r.type, {}).get("name", r.type), "authority": r.authority,
            "decision_date": r.decision_date.isoformat(), "display_until": r.display_until.isoformat(),
            "summary": r.summary, "source_ref": r.source_ref}


def _case(c: CaseStudy, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"slug": c.slug, "title": c.title, "category": c.category,
                           "category_zh": consult_service.category_labels().get(c.category, ""), "tags": c.tags,
                           "url": f"/catalog/cases/{c.slug}"}
    if full:
        out.update({k: getattr(c, k) for k in ("facts", "dispute", "resolution", "law_text", "lesson", "laws",
                                                "author")})
    return out


@router.get("/services")
async def services(q: Short = "", group: Short = "") -> dict[str, Any]:
    return {"services": [_service(s) for s in await service.list_services(q=q.strip(), group=group)]}


@router.get("/services/{code}")
async def service_detail(code: str) -> dict[str, Any]:
    return _service(await service.get_service(code), full=True)


@router.get("/providers")
async def providers(township: Short = "", speciality: Short = "", kind: Short = "", q: Short = "") -> dict[str, Any]:
    rows = await service.search_providers(township=township, speciality=speciality, kind=kind, q=q.strip())
    return {"providers": [_provider(p) for p in rows], "demo": True}


@router.get("/providers/{code}")
async def provider_detail(code: str) -> dict[str, Any]:
    types = await service.record_types()
    page = await service.provider_page(code, record_types=types)
    return {**_provider(page.provider), "records": [_record(r, types) for r in page.records],
            "members": [_provider(m) for m in page.members], "demo": True}


@router.get("/cases")
async def cases(q: Short = "", category: Short = "") -> dict[str, Any]:
    return {"cases": [_case(c) for c in await service.list_cases(q=q.strip(), category=category)]}


@router.get("/cases/{slug}")
async def case_detail(slug: str) -> dict[str, Any]:
    return _case(await service.get_case(slug), full=True)
