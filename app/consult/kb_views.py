"""Console page: which knowledge-base entries still await a lawyer's sign-off, by category."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.console.kit.auth import require_role
from app.console.kit.layout import render
from app.consult import service
from app.core.actor import Actor, Role

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN, Role.SUPERVISOR, Role.LAWYER))]


@router.get("/console/kb/signoff")
async def signoff_page(request: Request, actor: Reviewer,
                       category: Annotated[str, Query(max_length=32)] = "") -> Response:
    rows = await service.kb_signoff_status()
    chosen = next((r for r in rows if r.category == category), None)
    return render(request, "consult/kb_signoff.html", {
        "rows": rows, "chosen": chosen,
        "total": sum(r.total for r in rows), "signed": sum(r.signed for r in rows),
        "awaiting": sum(len(r.awaiting) for r in rows),
    })
