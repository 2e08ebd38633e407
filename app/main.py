"""create_app(): routers, middleware, lifespan (database, matrix, demo data, worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__, db, edge, wiring
from app.catalog import service as catalog_service
from app.config import Settings, get_settings, set_settings
from app.core import metrics
from app.core.logs import request_id_var, setup_logging
from app.errors import register_error_handlers
from app.jobs.service import run_forever
from app.laws import service as laws_service
from app.matrix.service import load_matrix, set_matrix
from app.org import service as org_service
from app.org.importer import import_folder
from app.production import check_production_secrets, disable_demo_accounts
from app.push import service as push_service
from app.staff.service import load_demo_staff, record_configuration
from app.web import STATIC_DIR
from app.wechat import lifecycle

log = logging.getLogger("fawu.main")


class RequestContextMiddleware:
    """Request id (X-Request-ID in and out), access metrics and a log line per request (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for k, v in scope.get("headers", []):
            if k == b"x-request-id":
                rid = v.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex[:16]
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            metrics.http_requests.labels(scope["method"], path, f"{status // 100}xx").inc()
            metrics.http_latency.labels(path).observe(elapsed)
            if log.isEnabledFor(logging.INFO) and not path.startswith(("/static", "/metrics", "/healthz")):
                log.info("%s %s %s %.1fms", scope["method"], path, status, elapsed * 1000)
            request_id_var.reset(token)


async def _close_db_quietly() -> None:
    try:
        await db.close_db()
    except Exception:  # the start-up error is the one to report
        metrics.caught("startup.close_db", log, "database not closed after a failed start-up", level=logging.WARNING)


async def prepare_database(settings: Settings) -> None:
    """Migrate, open the database and load the demo data on an empty one (every serving process; `fawu
    serve --workers N` runs it once before forking, so the workers find it done and do not race)."""
    if settings.auto_migrate:
        await db.migrate(settings)
    await db.init_db(settings)
    if settings.demo and settings.demo_autoload and await org_service.is_empty():
        report = await import_folder(settings.content_dir / "org")
        log.info("demo district loaded: %s", report.summary_zh())
    if settings.demo and settings.demo_autoload and settings.laws_dir.is_dir():
        if not await laws_service.corpus_size():
            laws_report = await laws_service.import_folder(folder=settings.laws_dir)
            log.info("statute corpus loaded: %s", laws_report.summary_zh())
    if settings.demo and settings.demo_autoload and not await push_service.has_articles():
        push_report = await push_service.import_library()
        log.info("article library loaded: %s articles", push_report.created)
    if settings.demo and settings.demo_autoload and not await catalog_service.known_refs():
        catalog_report = await catalog_service.import_folder()
        log.info("service catalogue loaded: %s", catalog_report.summary_zh())
    if settings.demo:
        await load_demo_staff()
    await disable_demo_accounts(settings)
    await record_configuration(settings)  # 安全审计: configuration changes between starts


async def startup(settings: Settings, *, init_database: bool = True) -> None:
    """Everything a serving process needs before the first request."""
    check_production_secrets(settings)
    wiring.wire_events()
    if init_database:
        await prepare_database(settings)
    known = None
    try:
        known = set((await org_service.tree()).keys()) or None
    except Exception:  # no database (some CLI paths): the matrix is checked without the org tree
        metrics.caught("startup.org_tree", log, "org tree not readable at start-up", level=logging.WARNING)
    set_matrix(load_matrix(settings.matrix_dir, known_units=known))
    wiring.load_inbound()
    await wiring.run_startup()  # e.g. cases: the working-day calendar, stale deadlines


def create_app(settings: Settings | None = None, *, init_database: bool = True, run_worker: bool = True) -> FastAPI:
    """Build the fawu application. Tests pass init_database=False and manage the database."""
    if settings is not None:
        set_settings(settings)
    settings = get_settings()
    setup_logging(settings.log_level, settings.log_format)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await startup(settings, init_database=init_database)
        except Exception:
            # close what was opened, or the database threads keep a failed process alive
            metrics.caught("startup", log, "start-up failed")
            if init_database:
                await _close_db_quietly()
            raise
        stop = asyncio.Event()
        worker: asyncio.Task[Any] | None = None
        if run_worker and not settings.jobs_broker_url:  # with a broker, `fawu worker`s run the jobs
            worker = asyncio.create_task(run_forever(wiring.schedules(), stop))
        app.state.stop = stop
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                try:
                    await asyncio.wait_for(worker, timeout=settings.shutdown_timeout)
                except Exception:  # shutting down: the jobs it held are reclaimed after their lease
                    metrics.caught("shutdown.worker", log, "worker did not stop cleanly", level=logging.WARNING)
            await lifecycle.shutdown()
            if init_database:
                await db.close_db()

    app = FastAPI(title="fawu 法务", version=__version__, lifespan=lifespan,
                  docs_url="/api/docs" if settings.demo else None, redoc_url=None,
                  openapi_url="/api/openapi.json" if settings.demo else None,
                  dependencies=[Depends(edge.check)])  # path ids in range, rate limits (app/edge.py)
    register_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for mod in wiring.load(wiring.ROUTER_MODULES):
        app.include_router(mod.router)
    app.add_middleware(RequestContextMiddleware)
    return app
