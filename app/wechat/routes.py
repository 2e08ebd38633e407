"""The WeChat callback: GET (URL verification) and POST (messages and events) /wechat/{account_key}."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask

from app.config import get_settings
from app.core import afterreply
from app.wechat import callback
from app.wechat.envelope import read_limited

router = APIRouter(tags=["wechat"])


@router.get("/wechat/{account_key}", include_in_schema=False)
async def verify(account_key: str, request: Request) -> Response:
    r = callback.verify_url(account_key=account_key, params=dict(request.query_params))
    return Response(r.body, status_code=r.status, media_type=r.media_type)


@router.post("/wechat/{account_key}", include_in_schema=False)
async def receive(account_key: str, request: Request) -> Response:
    started = time.monotonic()
    limit = get_settings().wechat_max_body_bytes
    declared = request.headers.get("content-length", "")
    body = None if declared.isdigit() and int(declared) > limit else await read_limited(
        request.stream(), limit)
    later = afterreply.collecting()  # bookkeeping that can wait runs once the answer is sent
    r = await callback.handle(account_key=account_key, params=dict(request.query_params), body=body,
                              started=started)
    # always drained: an answer over budget goes on queueing after the response is built
    return Response(r.body, status_code=r.status, media_type=r.media_type, background=BackgroundTask(later.drain))
