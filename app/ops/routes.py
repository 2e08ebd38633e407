"""/healthz (database and, when configured, Redis) and /metrics in Prometheus format."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from tortoise import connections

from app.config import get_settings
from app.core import metrics

log = logging.getLogger("fawu.ops")

router = APIRouter(tags=["ops"])


async def _check_db() -> str:
    try:
        conn = connections.get("default")
        await asyncio.wait_for(conn.execute_query("SELECT 1"), timeout=2)
        return "ok"
    except Exception as exc:  # reported, not raised: this is the health check
        metrics.caught("ops.health", log, "health check: database", level=logging.WARNING)
        return f"error: {type(exc).__name__}"


async def _check_redis(url: str) -> str:
    try:
        # function-level: redis only when redis_url is set
        import redis.asyncio as aioredis

        client = aioredis.from_url(url, socket_timeout=2)
        try:
            await asyncio.wait_for(client.ping(), timeout=2)
        finally:
            await client.aclose()
        return "ok"
    except Exception as exc:  # reported, not raised: this is the health check
        metrics.caught("ops.health", log, "health check", level=logging.WARNING)
        return f"error: {type(exc).__name__}"


@router.get("/healthz")
async def healthz() -> Response:
    settings = get_settings()
    checks = {"database": await _check_db()}
    if settings.redis_url:
        checks["redis"] = await _check_redis(settings.redis_url)
    ok = all(v == "ok" for v in checks.values())
    # "worker": which process answered (fawu serve --workers N runs several behind one port)
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks, "worker": os.getpid()},
                        status_code=200 if ok else 503)


@router.get("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    """Prometheus metrics behind the bearer token; open without one in demo mode only.

    Outside demo mode, no token configured means metrics are off (404), never open to anyone.
    """
    settings = get_settings()
    token = settings.metrics_token.get_secret_value()
    if not token and not settings.demo:
        return Response("not found", status_code=404, media_type="text/plain")
    if token and not hmac.compare_digest(request.headers.get("authorization", "").encode(),
                                         f"Bearer {token}".encode()):
        return Response("forbidden", status_code=403, media_type="text/plain")
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
