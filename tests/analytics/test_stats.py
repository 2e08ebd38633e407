"""Topic statistics: figures on a seeded data set computed by hand, small-cell suppression, the
rollup, township scoping through the console, the audited CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from app.analytics import service
from app.core.actor import Role
from app.core.scope import OrgScope
from tests.analytics.conftest import TODAY, WEEK, seed, week_ago
from tests.console.conftest import HTML, login
from tests.factories import make_staff

pytestmark = pytest.mark.usefixtures("frozen")


async def _world() -> None:
    """This week: 云溪街道 labour 6 clients (one asks twice), marriage 2, traffic 3; 石桥镇 labour 5;
    last week 云溪街道 labour 4 (below the threshold: no comparison shown)."""
    await seed([(TODAY, "YXJD", "JXSQ", "labor", "a", 6), (TODAY, "YXJD", "JXSQ", "labor", "a", 1),
                (TODAY, "YXJD", "BHSQ", "marriage_family", "m", 2), (TODAY, "YXJD", "BHSQ", "traffic", "t", 3),
                (TODAY, "SQZ", "SQSQ", "labor", "s", 5), (week_ago(1), "YXJD", "JXSQ", "labor", "p", 4)])


async def test_rollup_counts_by_hand(app: Any) -> None:
    await _world()
    done = await service.run_rollup(weeks=4)
    # the current and previous week and month are recomputed; 2 older weeks and 1 older month filled
    assert done["recomputed"] == 4 and done["filled"] == 3
    place = service.Place("YXJD", "云溪街道", "township")
    t = await service.by_dimension(OrgScope.everything(), source="consult", period="week", start=WEEK,
                                   place=place, dim="category")
    labour = next(r for r in t.rows if r.key == "labor")
    assert (labour.count, labour.residents) == (7, 6)  # the client asking twice counts once
    assert labour.prev is None  # last week's 4 residents are below 5: no comparison
    # marriage (2) and traffic (3) are pooled: 5 residents, shown as one line of 5 consultations
    assert t.pooled is not None and (t.pooled.count, t.pooled.residents) == (5, 5)
    assert {r.key for r in t.rows} == {"labor"} and t.total == 12
    district = await service.by_place(OrgScope.everything(), source="consult", period="week", start=WEEK,
                                      place=service.Place("", "全区", "district"))
    assert district is not None
    assert {(r.key, r.count) for r in district.rows} == {("YXJD", 12), ("SQZ", 5)}


def test_suppression_pools_until_safe() -> None:
    F = service.Figure
    t = service.suppress([F("a", "A", 40, 30), F("b", "B", 9, 6), F("c", "C", 2, 2)], 5)
    # c alone (2) is below 5: b joins the pool so nobody can subtract c from the total
    assert [r.key for r in t.rows] == ["a"] and t.pooled is not None and t.pooled.count == 11
    assert t.total == 51
    t = service.suppress([F("a", "A", 3, 3), F("b", "B", 1, 1)], 5)
    assert t.suppressed_all and t.rows == [] and t.pooled is None and t.total is None
    t = service.suppress([F("a", "A", 9, 9), F("b", "B", 5, 5)], 5)
    assert [r.key for r in t.rows] == ["a", "b"] and t.pooled is None


async def test_month_and_year_comparison(app: Any) -> None:
    await seed([(TODAY, "YXJD", "JXSQ", "labor", "a", 10),
                (TODAY.replace(year=2025), "YXJD", "JXSQ", "labor", "y", 8)])
    await service.run_rollup(weeks=60)
    from datetime import date

    t = await service.by_dimension(OrgScope.everything(), source="consult", period="month", start=date(2026, 11, 1),
                                   place=service.Place("YXJD", "云溪街道", "township"), dim="category")
    assert t.rows[0].last_year == 8 and t.rows[0].change_year == 25.0


async def test_township_clerk_sees_only_their_township(app: Any, client: httpx.AsyncClient) -> None:
    await _world()
    await service.run_rollup(weeks=4)
    await make_staff(username="sqz", unit_codes=["SQZ"])
    await login(client, "sqz")
    page = await client.get("/console/analytics", headers=HTML)
    assert page.status_code == 200, page.text[:500]
    assert "石桥镇" in page.text and "云溪街道" not in page.text and "全区" not in page.text
    # the other township's figures: not found, never shown
    other = await client.get("/console/analytics?place=YXJD", headers=HTML)
    assert other.status_code == 404 and "12" not in other.text.split("没有找到")[0][-50:]
    assert (await client.get("/console/analytics?place=JXSQ", headers=HTML)).status_code == 404
    export = await client.get("/console/analytics/export.csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    # the clerk's township and its communities only
    assert rows and {r["地区"] for r in rows} <= {"石桥镇", "石桥社区", "柳湾村", "青山村", "大坪村"}
    from app.staff.models import AuditLog

    assert await AuditLog.filter(action="analytics.export").count() == 1
    by_channel = await client.get("/console/analytics/export.csv?dim=channel")
    assert by_channel.status_code == 200 and "石桥社区" not in by_channel.content.decode("utf-8-sig")
    r = await client.get("/console/analytics?place=SQSQ&dim=channel", headers=HTML)
    assert r.status_code == 400 and "只按事项分类" in r.text


async def test_district_sees_all_and_export_is_suppressed(app: Any, client: httpx.AsyncClient) -> None:
    await _world()
    await service.run_rollup(weeks=4)
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    page = await client.get("/console/analytics", headers=HTML)
    assert page.status_code == 200 and "云溪街道" in page.text and "石桥镇" in page.text
    assert "<svg" in page.text
    export = await client.get("/console/analytics/export.csv?period=week")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    this_week = [r for r in rows if r["周期"].startswith(WEEK.isoformat())]
    yx = [r for r in this_week if r["地区"] == "云溪街道"]
    assert [r["数量"] for r in yx if "劳动" in r["事项分类"]] == ["7"]
    assert all(int(r["人数"]) >= 5 for r in rows if r["人数"])  # no figure rests on fewer than 5
    assert any("合并" in r["事项分类"] for r in yx)  # marriage and traffic pooled, not listed


async def test_bad_filters_are_clear(app: Any, client: httpx.AsyncClient) -> None:
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    r = await client.get("/console/analytics?start=31/01/2026", headers=HTML)
    assert r.status_code == 400 and "日期格式" in r.text
    r = await client.get("/console/analytics?source=secret", headers=HTML)
    assert r.status_code == 400 and "统计条件" in r.text


async def test_scans_figure(app: Any) -> None:
    from app.boards import service as boards_service

    for i in range(6):
        await boards_service.record_scan(board_code="JXSQ01", kind="url", event="landing", visitor=f"v{i}")
    await boards_service.record_scan(board_code="SQSQ01", kind="url", event="landing", visitor="w1")
    await service.run_rollup(weeks=4)
    data = await service.topic_stats(scope=OrgScope.everything(), place_code="YXJD")
    assert data["scans"] == (6, 6)
    data = await service.topic_stats(scope=OrgScope.everything(), place_code="SQZ")
    assert data["scans"] is None  # one visitor: below the threshold


async def test_trend_stars_small_weeks(app: Any, client: httpx.AsyncClient) -> None:
    await seed([(week_ago(2), "YXJD", "JXSQ", "labor", "few", 3), (TODAY, "YXJD", "JXSQ", "labor", "a", 6)])
    await service.run_rollup(weeks=4)
    t = await service.trend(OrgScope.everything(), source="consult", period="week",
                            place=service.Place("YXJD", "云溪街道", "township"), today=TODAY)
    assert t[-1][1] == 6 and t[-3][1] is None and t[-2][1] == 0
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    page = await client.get("/console/analytics?place=YXJD", headers=HTML)
    assert "不足 5 人，不予显示" in page.text


async def test_processes_rolling_up_at_once_leave_one_set_of_cells(app: Any) -> None:
    """Every serving process starts the daily rollup; on MariaDB two replacing the same period at once
    deadlock (1213) and the victim replaces it again: no error, and the cells are those of one run."""
    import asyncio

    from app.analytics.models import RollupCell
    from app.analytics.service.rollup import compute_period

    await _world()
    alone = await compute_period("week", WEEK)
    counts = await asyncio.gather(*(compute_period("week", WEEK) for _ in range(6)))
    assert counts == [alone] * 6
    assert await RollupCell.filter(period="week", period_start=WEEK).count() == alone
