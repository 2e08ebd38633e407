"""A real uvicorn server of the loopback WeChat on 127.0.0.1:<random port>, inside the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn


@dataclass
class LiveEmulator:
    base_url: str
    state: Any  # app.emulator.state.EmulatorState

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10)


@asynccontextmanager
async def live_emulator(settings: Any) -> AsyncIterator[LiveEmulator]:
    from app.emulator.server import create_emulator_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_emulator_app(settings)
    app.state.emu.public_base_url = "http://127.0.0.1:9"  # postbacks go nowhere unless a test sets a transport
    config = uvicorn.Config(app, log_config=None, lifespan="off", timeout_graceful_shutdown=1,
                            timeout_keep_alive=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if task.done():
        task.result()
    try:
        yield LiveEmulator(f"http://127.0.0.1:{port}", app.state.emu)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()
