"""The job engine's test kit: settings with a broker (a fresh RabbitMQ queue per test, deleted after),
workers and relays run in the test's own loop, a TCP proxy that plays a broker outage, and a database
of their own for tests with several processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import set_settings
from app.core import ratelimit
from tests import needs
from tests.conftest import BACKEND, MARIADB_URL, make_settings

BROKER = os.environ.get("FAWU_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


def broker_settings(tmp_path: Path, **overrides: Any) -> Any:
    q = f"fawu.test.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    base: dict[str, Any] = {"jobs_broker_url": BROKER, "jobs_queue": q, "var_dir": tmp_path,
                            "jobs_relay_interval": 0.1, "jobs_lease_seconds": 30}
    base.update(overrides)
    return make_settings(**base)


async def delete_queues(url: str, queue: str) -> None:
    import aio_pika

    conn = await aio_pika.connect(url)
    try:
        ch = await conn.channel()
        for name in (queue, f"{queue}.dead"):
            await ch.queue_delete(name)
        await ch.exchange_delete(f"{queue}.exchange")
    finally:
        await conn.close()


@pytest.fixture
def rabbit() -> None:
    from app import wiring

    needs.skip_unless(needs.rabbitmq())
    wiring.load(wiring.JOB_MODULES)  # the handlers, as the worker process registers them


@pytest.fixture
async def engine_settings(rabbit: None, settings: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """The ``settings`` of the test with a broker: jobs go through RabbitMQ (its own queue)."""
    s = broker_settings(tmp_path)
    set_settings(s)
    ratelimit.reset()
    yield s
    set_settings(settings)
    with contextlib.suppress(Exception):
        await delete_queues(BROKER, s.jobs_queue)


@contextlib.asynccontextmanager
async def running(fn: Callable[[asyncio.Event], Awaitable[None]]) -> AsyncIterator[asyncio.Event]:
    """Run ``fn(stop)`` in the background; set stop and wait for it on the way out."""
    stop = asyncio.Event()
    task = asyncio.create_task(fn(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def wait_for(cond: Callable[[], Awaitable[bool]], *, timeout: float = 20.0, every: float = 0.1) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await cond():
        if loop.time() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(every)


class TcpProxy:
    """127.0.0.1:<port> → the broker: ``stop()`` closes the port and every connection (a broker outage
    as the app sees it, without touching the machine's RabbitMQ), ``start()`` brings it back."""

    def __init__(self, port: int, target: tuple[str, int] = ("127.0.0.1", 5672)) -> None:
        self.port, self.target = port, target
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            tr, tw = await asyncio.open_connection(*self.target)
        except OSError:
            w.close()
            return
        self.writers |= {w, tw}
        await asyncio.gather(self._pipe(r, tw), self._pipe(tr, w))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for w in self.writers:
            w.close()
        self.writers.clear()


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of this test's own that other processes can open: a MariaDB database, created and
    dropped (MariaDB-only tests: several processes claim jobs concurrently)."""
    assert BACKEND == "mariadb"
    name = f"fawu_jobs_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def sql(stmt: str) -> None:
        import aiomysql

        conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        async with conn.cursor() as cur:
            await cur.execute(stmt)
        conn.close()

    asyncio.run(sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield MARIADB_URL.rstrip("/") + "/" + name
    finally:
        asyncio.run(sql(f"DROP DATABASE IF EXISTS `{name}`"))
