"""B1 on MariaDB with real processes: 200 concurrent requests from 3 `fawu serve` processes at one slot
of capacity 3, through the API, the board page's form and reschedules fired together, end with exactly
3 bookings and 197 "已约满" answers that offer the next free slots; no 5xx, no deadlock surfaced."""

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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core import calendar
from app.core.clock import LOCAL_TZ
from tests.conftest import ROOT

pytestmark = [pytest.mark.mariadb_only, pytest.mark.db]  # db: selected by the MariaDB pass of make test (-m db)

POINT, SERVICE = "SP-TYZ", "notary"
PROCESSES = 3
REQUESTS = 200
MOVES = 12  # bookings elsewhere moved into the contested slot at the same moment
PAGES = 20  # board-page form submissions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def sql(database: str | None, query: str, *args: Any) -> list[tuple[Any, ...]]:
    import aiomysql

    conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="", db=database,
                                  autocommit=True)
    try:
        async with conn.cursor() as cur:
            await cur.execute(query, args or None)
            return list(await cur.fetchall())
    finally:
        conn.close()


class Server:
    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / f"{name}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    async def ready(self, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as c:
            while True:
                try:
                    if (await c.get(self.url + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert self.proc.poll() is None, self.log_path.read_text()[-3000:]
                assert time.monotonic() < end, "fawu serve did not start"
                await asyncio.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def contested_day() -> date:
    """A working day at least two days ahead (the slot is well past the minimum notice)."""
    d = datetime.now(LOCAL_TZ).date() + timedelta(days=2)
    while not calendar.is_workday(d):
        d += timedelta(days=1)
    return d


@pytest.fixture
async def servers(tmp_path: Path, settings: Any) -> AsyncIterator[dict[str, Any]]:
    database = f"fawu_book_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await sql(None, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    procs: list[Server] = []
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "FAWU_DATABASE_URL": f"mysql://root:@127.0.0.1:3306/{database}",
           "FAWU_MATRIX_DIR": str(ROOT / "matrix_accounts"), "FAWU_CONTENT_DIR": str(ROOT / "content"),
           "FAWU_LAWS_DIR": str(tmp_path / "no-laws"), "FAWU_VAR_DIR": str(tmp_path / "var"),
           "FAWU_POSTER_DIR": str(tmp_path / "var" / "posters"), "FAWU_EMULATOR_AUTOSTART": "false",
           "FAWU_WECHAT_API_BASE": "http://127.0.0.1:9", "FAWU_LOG_FORMAT": "text", "FAWU_LOG_LEVEL": "WARNING",
           "FAWU_RATE_LIMITS": "booking=100000/minute,anonymous=100000/minute"}
    try:
        first = Server("a", env, tmp_path)
        procs.append(first)
        await first.ready()  # migrates and loads the demo district; the others start on a ready database
        for name in ("b", "c")[:PROCESSES - 1]:
            procs.append(Server(name, env, tmp_path))
        await asyncio.gather(*(p.ready() for p in procs[1:]))
        day = contested_day()
        for weekday in range(7):  # the contested day's plan (a make-up weekend runs Monday's)
            await sql(database, "INSERT INTO booking_plan (point_code, unit_code, service_code, provider, weekday, "
                                "start, end, capacity, active, updated_at) VALUES (%s, 'TYZ', %s, '公证员', %s, "
                                "'09:00', '12:00', 3, 1, NOW())", POINT, SERVICE, weekday)
        yield {"servers": procs, "database": database, "day": day}
    finally:
        for p in procs:
            await asyncio.to_thread(p.stop)
        await sql(None, f"DROP DATABASE IF EXISTS `{database}`")


async def test_two_hundred_requests_from_three_processes_make_exactly_three_bookings(
        servers: dict[str, Any]) -> None:
    procs, database, day = servers["servers"], servers["database"], servers["day"]
    contested = f"{day.isoformat()}T09:00"
    others = [f"{day.isoformat()}T{h:02d}:{m:02d}" for h, m in ((9, 30), (10, 0), (10, 30), (11, 0))]
    async with httpx.AsyncClient(timeout=30) as c:
        # bookings elsewhere that will move into the contested slot
        movers: list[tuple[str, str]] = []
        for i in range(MOVES):
            phone = f"1370000{i:04d}"
            r = await c.post(procs[i % PROCESSES].url + "/api/booking/bookings", json={
                "point": POINT, "service": SERVICE, "slot": others[i % len(others)], "name": f"改约{i}",
                "phone": phone})
            assert r.status_code == 201, r.text
            movers.append((r.json()["booking"]["code"], phone))

        async def api(i: int) -> tuple[str, int, Any, float]:
            t0 = time.monotonic()
            r = await c.post(procs[i % PROCESSES].url + "/api/booking/bookings", json={
                "point": POINT, "service": SERVICE, "slot": contested, "name": f"居民{i}", "phone": f"1390000{i:04d}"})
            return "api", r.status_code, r.json(), time.monotonic() - t0

        async def page(i: int) -> tuple[str, int, Any, float]:
            t0 = time.monotonic()
            r = await c.post(procs[i % PROCESSES].url + "/booking", headers={"accept": "text/html"}, data={
                "svc": SERVICE, "point": POINT, "slot": contested, "name": f"页面{i}", "phone": f"1380000{i:04d}",
                "token": uuid.uuid4().hex, "consent": "1"})
            return "page", r.status_code, r.text, time.monotonic() - t0

        async def move(i: int) -> tuple[str, int, Any, float]:
            code, phone = movers[i]
            t0 = time.monotonic()
            r = await c.post(procs[i % PROCESSES].url + f"/api/booking/bookings/{code}/move",
                             json={"phone": phone, "slot": contested})
            return "move", r.status_code, r.json(), time.monotonic() - t0

        calls = ([api(i) for i in range(REQUESTS - MOVES - PAGES)] + [page(i) for i in range(PAGES)]
                 + [move(i) for i in range(MOVES)])
        results = await asyncio.gather(*calls)

    statuses = [s for _, s, _, _ in results]
    assert all(s < 500 for s in statuses), statuses
    ok = [r for r in results if r[1] in (200, 201)]
    full = [r for r in results if r[1] == 409]
    assert len(ok) == 3 and len(full) == REQUESTS - 3, sorted(statuses)
    for kind, _, body, _ in full:
        if kind == "page":
            assert "已约满" in body and 'id="next-slots"' in body
        else:
            assert body["error"]["code"] == "booking_full" and body["error"]["message"].startswith("已约满")
            assert body["error"]["next"], body
    slot = await sql(database, "SELECT id, taken FROM booking_slot ORDER BY starts_at LIMIT 1")
    assert slot[0][1] == 3
    held = await sql(database, "SELECT COUNT(*) FROM booking_booking WHERE status='booked' AND slot_id=%s", slot[0][0])
    assert held[0][0] == 3
    # every slot's counter equals its bookings: nothing counted twice, nothing lost
    mismatch = await sql(database, "SELECT s.id, s.taken, COUNT(b.id) FROM booking_slot s LEFT JOIN booking_booking b "
                                   "ON b.slot_id = s.id AND b.status = 'booked' GROUP BY s.id, s.taken "
                                   "HAVING s.taken <> COUNT(b.id)")
    assert mismatch == []
    for p in procs:
        log = p.log_path.read_text()
        assert "Traceback" not in log and "1213" not in log, log[-2000:]
    latencies = sorted(t for *_, t in results)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"\n200 requests from {PROCESSES} processes: p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms")
