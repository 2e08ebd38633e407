"""后台任务: the job outbox's figures and its dead letters (failed jobs), each retryable (system and
district administrators, right ``jobs.manage``; payloads are not shown: they may name residents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.config import get_settings
from app.console.kit.auth import client_ip, require_right
from app.console.kit.layout import render
from app.core.actor import Actor
from app.jobs import service as jobs_service

router = APIRouter(include_in_schema=False)
JobsAdmin = Annotated[Actor, Depends(require_right("jobs.manage"))]

STATUS_ZH = {"pending": "待执行", "queued": "已送往队列", "running": "执行中", "done": "已完成", "failed": "失败（死信）"}


@router.get("/console/jobs")
async def jobs_page(request: Request, actor: JobsAdmin) -> Response:
    notice = {"retried": "已重新排队，稍后执行。", "gone": "该任务已不是失败状态，未重新排队。"}.get(
        request.query_params.get("notice", ""), "")
    return render(request, "console/jobs.html", {
        "counts": await jobs_service.counts(), "dead": await jobs_service.dead_letters(limit=200),
        "status_zh": STATUS_ZH, "notice": notice,
        "engine": "RabbitMQ（taskiq 工作进程）" if get_settings().jobs_broker_url else "应用进程内执行（嵌入模式）"})


@router.post("/console/jobs/{job_id}/retry")
async def retry(request: Request, job_id: int, actor: JobsAdmin) -> Response:
    ok = await jobs_service.retry(job_id=job_id, actor=actor, ip=client_ip(request))
    return RedirectResponse(f"/console/jobs?notice={'retried' if ok else 'gone'}", status_code=303)
