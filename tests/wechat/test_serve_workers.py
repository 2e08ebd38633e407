"""`fawu serve --workers 2`: two processes behind one port share everything through the database (issue 24 §3).

One `fawu serve --workers 2` on a fresh database (SQLite file; MariaDB in the MariaDB pass): the command
prepares the database once before forking, both workers answer (/healthz names the process), callbacks
over fresh connections land on both, every message is stored once, WeChat's retry of a message (another
connection, so possibly the other process) gets the stored reply, and a dialogue begun on one process is
continued on whichever answers next.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import load_matrix
from tests.conftest import BACKEND, MARIADB_URL, ROOT

ACCOUNT = "yx_district"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _mysql(database: str | None, query: str) -> list[tuple[Any, ...]]:
    import aiomysql

    conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="", db=database,
                                  autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute(query)
            return list(await cur.fetchall())
    finally:
        conn.close()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    database = f"fawu_wk_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if BACKEND == "mariadb":
        await _mysql(None, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        url = MARIADB_URL.rstrip("/") + "/" + database
    else:
        url = f"sqlite://{tmp_path / 'fawu.sqlite3'}"
    (ROOT / "var" / "cache").mkdir(parents=True, exist_ok=True)  # the consultation engine's cache, shared
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "cache").symlink_to(ROOT / "var" / "cache")
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FAWU_DATABASE_URL": url,
           "FAWU_MATRIX_DIR": str(ROOT / "matrix_accounts"), "FAWU_CONTENT_DIR": str(ROOT / "content"),
           "FAWU_LAWS_DIR": str(ROOT / "content" / "laws"), "FAWU_VAR_DIR": str(tmp_path / "var"),
           "FAWU_POSTER_DIR": str(tmp_path / "var" / "posters"), "FAWU_EMULATOR_AUTOSTART": "false",
           "FAWU_WECHAT_API_BASE": "http://127.0.0.1:9/", "FAWU_LOG_FORMAT": "text", "FAWU_LOG_LEVEL": "WARNING",
           "FAWU_WECHAT_REPLY_BUDGET": "4.0"}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 400
        pids: set[int] = set()
        while len(pids) < 2:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < end, f"both workers did not answer: {pids}"
            try:
                async with httpx.AsyncClient(timeout=2) as c:  # a fresh connection each time
                    r = await c.get(base + "/healthz")
                if r.status_code == 200:
                    pids.add(int(r.json()["worker"]))
                    continue
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
        yield {"url": base, "pids": pids, "db": url, "database": database, "log": tmp_path / "serve.log"}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                await asyncio.to_thread(proc.wait)
        log.close()
        if BACKEND == "mariadb":
            await _mysql(None, f"DROP DATABASE IF EXISTS `{database}`")


async def _inbound_counts(served: dict[str, Any], prefix: str) -> list[tuple[str, int]]:
    query = (f"SELECT openid, COUNT(*) FROM wechat_inbound WHERE openid LIKE '{prefix}%' "
             "GROUP BY openid, dedup_key ORDER BY openid")
    if BACKEND == "mariadb":
        return [(str(a), int(b)) for a, b in await _mysql(served["database"], query)]
    import sqlite3

    path = served["db"].removeprefix("sqlite://")
    with sqlite3.connect(path) as conn:
        return [(str(a), int(b)) for a, b in conn.execute(query).fetchall()]


@pytest.mark.slow
@pytest.mark.db
async def test_two_workers_share_dedup_and_dialogue(served: dict[str, Any]) -> None:
    assert len(served["pids"]) == 2
    sim = CallbackSimulator(load_matrix(ROOT / "matrix_accounts").get(ACCOUNT), base_url=served["url"],
                            timeout=10)
    sim.tries = 1  # a failure shows as a failure, not hidden by a retry

    # 24 residents ask at once over fresh connections: every one answered, every message stored once
    openids = [f"o_wk_{i:02d}" for i in range(24)]
    results = await asyncio.gather(*(sim.text(o, "老板拖欠工资三个月不给怎么办") for o in openids))
    assert [r.status for r in results] == [200] * len(openids), [(r.status, r.body[:200]) for r in results]
    assert all(r.text and "工资" in r.text for r in results), [r.text for r in results]
    counts = await _inbound_counts(served, "o_wk_")
    assert counts == [(o, 1) for o in openids]

    # WeChat's retries of one message on fresh connections (both processes): the stored reply, stored once
    xml = sim.text_xml("o_wk_retry", "邻居装修噪音太大怎么办", msg_id=9_000_000_000_000_000_001)
    params, body = sim.sign(xml)
    first = await sim.post(xml, params=params, body=body)
    retries = await asyncio.gather(*(sim.post(xml, params=params, body=body) for _ in range(6)))
    assert first.status == 200 and first.text
    assert {r.text for r in retries} == {first.text}
    assert await _inbound_counts(served, "o_wk_retry") == [("o_wk_retry", 1)]

    # a dialogue state written by one process is read by the other: the follow-up "详细" of an answered
    # question is understood whichever process gets it (each message is a new connection)
    for i in range(4):
        openid = f"o_wk_dlg_{i}"
        asked = await sim.text(openid, "离婚后孩子抚养权归谁")
        assert asked.status == 200 and asked.text
        more = await sim.text(openid, "详细")
        assert more.status == 200 and more.text and more.text != asked.text
        assert "请直接输入您想咨询的法律问题" not in more.text, more.text
