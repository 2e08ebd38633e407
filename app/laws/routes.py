"""laws pages and JSON: GET /laws (the menu's 法规查询 mobile page), /api/laws/article, /api/laws/search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.laws import service
from app.web import templates

router = APIRouter(tags=["laws"])


@router.get("/laws", response_class=HTMLResponse)
async def laws_page(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    result = await service.lookup(query=q[:100])
    return templates.TemplateResponse(request, "laws/index.html",
                                      {"q": q, "articles": result.articles, "message": result.message})


@router.get("/api/laws/article")
async def article(law: Annotated[str, Query(max_length=200)],
                  article: Annotated[str, Query(max_length=32)]) -> dict[str, Any]:
    return (await service.get_article(law=law, article=article)).as_dict()


@router.get("/api/laws/search")
async def search(q: Annotated[str, Query(max_length=200)]) -> dict[str, Any]:
    result = await service.lookup(query=q[:100])
    return {"query": q, "message": result.message, "articles": [a.as_dict() for a in result.articles]}
