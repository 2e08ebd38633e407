"""The loopback WeChat (``fawu fake-wechat``): WeChat's server API with its validation, codes and limits.

Official-account and mini-program endpoints answer as WeChat does (one module per subject, all on
app.emulator.api.router); ``/_control/*`` (app.emulator.control) drives the emulator and shows what was sent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from app.config import Settings, get_settings
from app.emulator import (  # noqa: F401 - their routes join the router
    api_content,
    api_mass,
    api_messages,
    api_templates,
    api_tokens,
    api_users,
)
from app.emulator.api import refuse, router
from app.emulator.control import control
from app.emulator.state import EmulatorState

# ---------------------------------------------------------------- the app

class FaultMiddleware:
    """Counts calls per endpoint and applies injected faults before the endpoint runs."""

    def __init__(self, app: Any, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_control"):
            await self.app(scope, receive, send)
            return
        endpoint = scope["path"].lstrip("/")
        self.state.calls[endpoint] = self.state.calls.get(endpoint, 0) + 1
        fault = self.state.take_fault(endpoint)
        if fault is not None and fault.kind == "late":
            # WeChat carries the request out, but its answer comes after ``delay`` (lost to a client timeout)
            held: list[Any] = []

            async def hold(message: Any) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(fault.delay)
            for message in held:
                await send(message)
            return
        if fault is not None:
            if fault.kind in ("timeout", "slow"):
                await asyncio.sleep(fault.delay)
            else:
                await refuse(fault.errcode, fault.errmsg)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_emulator_app(settings: Settings | None = None, *, state: EmulatorState | None = None,
                        matrix_dir: Path | None = None) -> FastAPI:
    """The emulator's ASGI app (its state on ``app.state.emu``)."""
    settings = settings or get_settings()
    state = state or EmulatorState(matrix_dir or settings.matrix_dir, public_base_url=settings.public_base_url)
    app = FastAPI(title="fawu fake WeChat", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emu = state
    state.app = app
    app.include_router(router)
    app.include_router(control)

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return JSONResponse({"emulator": "fawu fake WeChat", "accounts": [
            {"key": a.account.key, "appid": a.account.appid, "kind": a.account.kind}
            for a in state.accounts.values()]})

    app.add_middleware(FaultMiddleware, state=state)
    return app
