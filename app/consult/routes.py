"""consult JSON API: POST /api/consult/ask (the web demo, strict per-client limit; the mini-program asks through /api/mp/consult/ask behind its session), GET /api/consult/hot-topics (staff)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from app import edge
from app.console.kit.auth import require_staff
from app.consult import service
from app.core.actor import Actor

router = APIRouter(prefix="/api/consult", tags=["consult"])


class AskIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    community_code: str | None = Field(default=None, max_length=32)
    board_code: str | None = Field(default=None, max_length=24)
    category: str | None = Field(default=None, max_length=32)


@router.post("/ask")
async def ask(body: AskIn, request: Request) -> dict[str, Any]:
    """Ask the engine; the same answer the WeChat callback gives (no hand-over without a resident)."""
    category = body.category if body.category in service.CATEGORIES else None
    answer = await service.ask(body.text, channel="miniprogram", community_code=body.community_code,
                               board_code=body.board_code, category=category, client=edge.client_key(request))
    return answer.as_dict()


@router.get("/hot-topics")
async def hot_topics(weeks: int = 8, actor: Actor = Depends(require_staff)) -> dict[str, Any]:
    """Consultations by category, township and week, limited to the staff member's org units."""
    rows = await service.hot_topics(scope=actor.scope, weeks=max(1, min(weeks, 52)))
    return {"weeks": weeks, "rows": rows}
