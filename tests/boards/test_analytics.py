"""Scan analytics: per board, community and township; unique visitors; new followers; CSV; /metrics."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from app.boards import service
from app.core.actor import Role
from tests.boards.test_inbound import sim
from tests.console.conftest import login
from tests.factories import make_staff

HTML = {"accept": "text/html"}


async def _scans(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await client.get("/s/SQSQ01", headers=HTML)  # one browser, twice: one scan (same client, 10 min)
    app = client._transport.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.20.0.2", 1)),
                                 base_url=client.base_url) as phone:  # another phone, elsewhere
        await phone.get("/s/SQSQ01", headers=HTML)
        await phone.get("/s/JXSQ01", headers=HTML)
    await sim(client).event("o_a", "subscribe", "qrscene_board:SQSQ01", Ticket="t")
    await sim(client).event("o_b", "SCAN", "board:LWC01", Ticket="t")


def _row(rows: list[service.StatRow], level: str, code: str) -> service.StatRow:
    return next(r for r in rows if r.level == level and r.code == code)


async def test_stats_by_level(client: httpx.AsyncClient) -> None:
    await _scans(client)
    rows = await service.scan_stats()
    b = _row(rows, "board", "SQSQ01")
    assert (b.scans, b.unique, b.new_followers) == (3, 3, 1)
    assert b.by_kind == {"url": 2, "official": 1}
    t = _row(rows, "township", "SQZ")
    assert (t.scans, t.unique, t.new_followers) == (4, 4, 1)
    d = _row(rows, "district", "YX")
    assert (d.scans, d.unique) == (5, 4)  # the second phone counts once across its two boards
    assert _row(rows, "community", "LWC").scans == 1
    assert _row(rows, "board", "SQSQ02").scans == 0


async def test_console_page_and_csv_are_for_staff_only(client: httpx.AsyncClient) -> None:
    await _scans(client)
    r = await client.get("/console/boards", headers=HTML)
    assert r.status_code in (302, 303) and "/console/login" in r.headers["location"]
    assert (await client.get("/console/boards.csv")).status_code == 401

    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    assert (await login(client, "admin")).status_code in (302, 303)
    page = await client.get("/console/boards", headers=HTML)
    assert page.status_code == 200 and "公示牌扫码分析" in page.text and "石桥社区1号楼" in page.text

    res = await client.get("/console/boards.csv")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert res.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["层级", "编码", "名称"]
    sq = next(r for r in rows if r[1] == "SQSQ01")
    assert sq[0] == "公示牌" and sq[6] == "3" and sq[10] == "3" and sq[11] == "1"

    only = await client.get("/console/boards.csv?org=TYZ")
    codes = {r[1] for r in csv.reader(io.StringIO(only.content.decode("utf-8-sig")))}
    assert "TYC01" in codes and "SQSQ01" not in codes


async def test_township_clerk_sees_only_their_township(client: httpx.AsyncClient) -> None:
    await _scans(client)
    await make_staff(username="sq", role=Role.TOWNSHIP_STAFF, unit_codes=["SQZ"])
    await login(client, "sq")
    res = await client.get("/console/boards.csv")
    codes = {r[1] for r in csv.reader(io.StringIO(res.content.decode("utf-8-sig")))}
    assert {"SQZ", "SQSQ", "SQSQ01", "LWC01"} <= codes
    assert "JXSQ01" not in codes and "YX" not in codes and "YXJD" not in codes


async def test_metrics_count_scans(client: httpx.AsyncClient) -> None:
    await client.get("/s/DPC01", headers=HTML)
    text = (await client.get("/metrics")).text
    assert 'fawu_board_scans_total{kind="url",township="SQZ"}' in text


async def test_followups_through_the_hook(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Consultations carrying the board (asked on the landing page's form) are counted per level."""
    import re

    from app.core import events
    from tests.boards import followup_hook

    # the consultations counted by the test's counter, the cases' counter broken, nobody counting bookings
    monkeypatch.setitem(events._subscribers, "boards.followups_requested",
                        [followup_hook.consulted, followup_hook.broken])
    form = await client.get("/s/QSC01/consult", headers=HTML)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    for q in ("邻居占用我家宅基地怎么办", "土地承包合同到期了怎么续"):
        r = await client.post("/s/QSC01/consult", data={"text": q, "token": token}, headers=HTML)
        assert r.status_code == 200
    rows = await service.scan_stats()
    assert _row(rows, "board", "QSC01").consulted == 2
    assert _row(rows, "community", "QSC").consulted == 2 and _row(rows, "township", "SQZ").consulted == 2
    assert _row(rows, "board", "QSC02").consulted == 0
    assert _row(rows, "board", "QSC01").cases is None and _row(rows, "board", "QSC01").booked is None


async def test_date_filter_uses_local_days(client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime

    from app.core import clock

    try:
        clock.freeze(datetime(2026, 10, 31, 15, 30, tzinfo=UTC))  # 2026-10-31 23:30 in Shanghai
        await client.get("/s/SQSQ01", headers=HTML)
        clock.freeze(datetime(2026, 10, 31, 16, 30, tzinfo=UTC))  # 2026-11-01 00:30 in Shanghai
        await client.get("/s/SQSQ01", headers=HTML)
    finally:
        clock.freeze(None)
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    for query, n in (("start=2026-11-01", "1"), ("end=2026-10-31", "1"), ("start=2026-10-31&end=2026-11-01", "2")):
        res = await client.get(f"/console/boards.csv?{query}")
        row = next(r for r in csv.reader(io.StringIO(res.content.decode("utf-8-sig"))) if r[1] == "SQSQ01")
        assert row[6] == n, query
    bad = await client.get("/console/boards.csv?start=31/10/2026")
    assert bad.status_code == 400 and "日期格式" in bad.text


async def test_followups_with_the_real_consult_and_cases_counters(client: httpx.AsyncClient) -> None:
    """No hook patched: consultations from the landing page and a case opened from the board are counted."""
    import re

    from app.cases import service as cases_service
    from app.residents.models import Resident

    form = await client.get("/s/LWC01/consult", headers=HTML)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    r = await client.post("/s/LWC01/consult", data={"text": "邻居占用我家宅基地怎么办", "token": token}, headers=HTML)
    assert r.status_code == 200
    resident = await Resident.create()
    await cases_service.open_case(type="consultation", resident_id=resident.id, channel="web",
                                  summary="宅基地纠纷", board_code="LWC01", source="web_form")
    rows = await service.scan_stats()
    board = _row(rows, "board", "LWC01")
    assert board.consulted == 1 and board.cases == 1
    assert _row(rows, "township", "SQZ").cases == 1
    assert _row(rows, "board", "LWC02").consulted == 0 and _row(rows, "board", "LWC02").cases == 0
