"""Shared fixtures: settings, a clean database per test (SQLite or MariaDB), the app and clients.

``FAWU_TEST_DB=sqlite`` (default) or ``mariadb`` picks the backend; ``make test`` runs the whole
suite on SQLite and then every database test (marker ``db``) again on MariaDB when it is reachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise, connections

ROOT = Path(__file__).resolve().parent.parent
BACKEND = os.environ.get("FAWU_TEST_DB", "sqlite")
MARIADB_URL = os.environ.get("FAWU_TEST_MARIADB_URL", "mysql://root:@127.0.0.1:3306/")
_mariadb_db = f"fawu_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
_schema_ready = False

os.chdir(ROOT)


def pytest_report_header(config: pytest.Config) -> str:
    return f"fawu database backend: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # a MariaDB-only test is a database test even without the db fixture (its own processes and
        # database): marked db, so the MariaDB pass of make test (-m db) runs it
        if "db" in getattr(item, "fixturenames", ()) or item.get_closest_marker("mariadb_only"):
            item.add_marker(pytest.mark.db)
        if item.get_closest_marker("mariadb_only") and BACKEND != "mariadb":
            item.add_marker(pytest.mark.skip(reason="needs MariaDB: runs in the MariaDB pass of make test (FAWU_TEST_DB=mariadb)"))


@pytest.fixture(autouse=True)
def _nothing_blocks_the_loop() -> Iterator[None]:
    """Suite-wide: argon2 and time.sleep on the event loop fail the test that does it (tests/blocking.py)."""
    from tests.blocking import ARGON2, SLEEP, no_blocking

    with no_blocking(ARGON2 + SLEEP):
        yield


def database_url() -> str:
    if BACKEND == "mariadb":
        return MARIADB_URL.rstrip("/") + "/" + _mariadb_db
    return "sqlite://:memory:"


def make_settings(**overrides: Any) -> Any:
    from app.config import Settings

    base: dict[str, Any] = {
        "database_url": database_url(),
        "demo": True,
        "log_format": "text",
        "log_level": "WARNING",
        "matrix_dir": ROOT / "matrix_accounts",
        "content_dir": ROOT / "content",
        "wechat_timestamp_window": 300,
        "emulator_autostart": False,
        # the second factor is required of administrators by default; tests of other things log in
        # with a password only (tests/staff/test_compliance.py turns it on)
        "mfa_required_roles": [],
        # CI runs at any hour: a test that sends now must not find itself in the night's quiet hours
        # (tests of quiet hours set them explicitly)
        "push_quiet_hours": "",
    }
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def settings() -> Iterator[Any]:
    from app.config import set_settings
    from app.core import ratelimit

    s = make_settings()
    set_settings(s)
    ratelimit.reset()  # every test starts with no request counted
    yield s
    set_settings(None)


async def _mariadb_create() -> None:
    import aiomysql

    conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    async with conn.cursor() as cur:
        await cur.execute(f"CREATE DATABASE IF NOT EXISTS `{_mariadb_db}` CHARACTER SET utf8mb4")
    conn.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if BACKEND != "mariadb":
        return
    import asyncio

    async def drop() -> None:
        import aiomysql

        try:
            conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        except Exception:
            return
        async with conn.cursor() as cur:
            await cur.execute(f"DROP DATABASE IF EXISTS `{_mariadb_db}`")
        conn.close()

    asyncio.run(drop())


@pytest.fixture
async def db(settings: Any) -> AsyncIterator[None]:
    """A clean, empty database with the current schema, connected for this test."""
    global _schema_ready
    from app import wiring
    from app.db import tortoise_config
    from app.org import service as org_service

    wiring.wire_events()
    org_service.invalidate_cache()
    if BACKEND == "mariadb" and not _schema_ready:
        await _mariadb_create()
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    if BACKEND == "mariadb":
        if not _schema_ready:
            await Tortoise.generate_schemas(safe=True)
            _schema_ready = True
        conn = connections.get("default")
        tables = [m._meta.db_table for app in Tortoise.apps.values() for m in app.values()]
        await conn.execute_script("SET FOREIGN_KEY_CHECKS=0;" + "".join(f"DELETE FROM `{t}`;" for t in tables)
                                  + "SET FOREIGN_KEY_CHECKS=1;")
    else:
        await Tortoise.generate_schemas()
    try:
        yield
    finally:
        await Tortoise.close_connections()
        org_service.invalidate_cache()


@pytest.fixture
async def demo_org(db: None, settings: Any) -> None:
    """The demo district's organisation, imported from content/org."""
    from app.org.importer import import_folder

    await import_folder(settings.content_dir / "org")


@pytest.fixture
async def app(demo_org: None, settings: Any) -> AsyncIterator[Any]:
    """The fawu app on the test database, started (matrix loaded, handlers registered), no worker."""
    from app.main import create_app, startup

    application = create_app(settings, init_database=False, run_worker=False)
    await startup(settings, init_database=False)
    yield application
    from app.wechat import lifecycle

    await lifecycle.shutdown()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (httpx ASGI transport)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def drain_jobs() -> Any:
    """Run every due job of the outbox (call it after the action under test)."""
    from app import wiring
    from app.jobs import service as jobs

    wiring.load(wiring.JOB_MODULES)
    return jobs.drain


@pytest.fixture
def emulator(settings: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The loopback WeChat in-process; app.wechat.client talks to it (httpx ASGI transport).

    Yields its EmulatorState (``.app`` is its ASGI app; drive it with its methods or over
    ``/_control/``). Its postbacks (MASSSENDJOBFINISH) reach the ``app`` fixture when the test uses
    it, and nowhere otherwise.
    """
    from app.emulator.server import create_emulator_app
    from app.wechat import client as wechat_client

    emu = create_emulator_app(settings)
    state = emu.state.emu
    if "app" in request.fixturenames:
        state.callback_transport = httpx.ASGITransport(app=request.getfixturevalue("app"))
    else:
        state.public_base_url = "http://127.0.0.1:9"  # the discard port: postbacks fail fast
    wechat_client.use_transport(httpx.ASGITransport(app=emu))
    try:
        yield state
    finally:
        wechat_client.use_transport(None)
