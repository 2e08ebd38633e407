"""GET / : the district's public legal service at a glance, with the demo's entry points."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.config import get_settings
from app.org import service as org_service
from app.web import templates

router = APIRouter(tags=["portal"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> HTMLResponse:
    settings = get_settings()
    district = await org_service.district()
    townships = await org_service.list_units(org_service.TOWNSHIP)
    communities = await org_service.list_units(org_service.COMMUNITY)
    boards = await org_service.list_boards()
    first_board: dict[str, str] = {}
    for b in boards:
        first_board.setdefault(b.community.code, b.code)
    by_township: dict[int, list] = {t.id: [] for t in townships}
    for c in communities:
        by_township.setdefault(c.parent_id, []).append(c)  # type: ignore[attr-defined]
    points = await org_service.service_points_for(district.code) if district else []
    return templates.TemplateResponse(request, "portal/home.html", {
        "district": district, "townships": townships, "by_township": by_township, "first_board": first_board,
        "centre": points[0] if points else None, "demo": settings.demo, "hotline": settings.hotline,
    })
