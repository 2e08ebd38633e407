"""Practice records (执业信息披露): shown from the decision day through display_until, gone the next day,
withdrawn at once when revoked; staff see the history; every change audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.catalog import service
from app.core import clock
from app.core.actor import Role
from app.staff import service as staff_service
from tests.catalog.test_pages import HTML
from tests.console.conftest import login, session_csrf
from tests.factories import make_staff


def _at(day: str, hour: int = 0, minute: int = 1) -> None:
    """Freeze the clock at a local (Asia/Shanghai) time of ``day``."""
    local = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=clock.LOCAL_TZ)
    clock.freeze(local.astimezone(dt.UTC))


async def test_display_period_starts_and_ends_on_the_right_day(catalog: Any, client: Any) -> None:
    try:
        admin = await make_staff(username="rec-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"], password=None)
        actor = await staff_service.actor_for(admin)
        _at("2026-12-01", 10)
        r = await service.add_record(actor=actor, provider_code="LY-ADV003", type="bar_warning",
                                     decision_date=dt.date(2026, 12, 1), authority="云溪市律师协会",
                                     summary="未按规定履行告知义务（测试）", until=None,
                                     record_types=await service.record_types())
        assert r.display_until == dt.date(2027, 12, 1)  # bar_warning: 365 days, the decision day not counted
        _at("2026-11-30", 23, 59)  # the evening before the decision: not yet
        assert await service.visible_records("LY-ADV003") == []
        _at("2026-12-01", 0, 0)
        page = await client.get("/catalog/providers/LY-ADV003", headers=HTML)
        assert "未按规定履行告知义务" in page.text
        _at("2027-12-01", 23, 59)  # the last day, late evening (local time; 15:59 UTC)
        assert "未按规定履行告知义务" in (await client.get("/catalog/providers/LY-ADV003")).text
        api = await client.get("/api/catalog/providers/LY-ADV003")
        assert [x["display_until"] for x in api.json()["records"]] == ["2027-12-01"]
        _at("2027-12-02", 0, 0)  # the next morning: gone
        assert "未按规定履行告知义务" not in (await client.get("/catalog/providers/LY-ADV003")).text
        assert (await client.get("/api/catalog/providers/LY-ADV003")).json()["records"] == []
        history = await service.record_history(provider_code="LY-ADV003")
        assert [h.id for h in history] == [r.id]  # staff still see it
    finally:
        clock.freeze(None)


async def test_a_demo_record_past_its_period_is_not_shown(catalog: Any, client: Any) -> None:
    page = await client.get("/catalog/providers/LY-ADV009")  # bar_warning decided 2025-06-02
    assert page.status_code == 200 and "公示期内没有行政处罚或行业惩戒记录" in page.text
    assert "代理过程中未及时向委托人通报" in (await client.get("/catalog/providers/LY-YX-A")).text


async def test_revoking_withdraws_at_once_and_is_audited(catalog: Any, client: Any) -> None:
    await make_staff(username="rec-admin2", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    assert (await login(client, "rec-admin2")).status_code in (200, 303)
    csrf = await session_csrf(client)
    page = await client.get("/console/catalog/records?provider=LY-YX-A", headers=HTML)
    assert page.status_code == 200 and "公示中" in page.text
    record = (await service.record_history(provider_code="LY-YX-A"))[0]
    empty = await client.post(f"/console/catalog/records/{record.id}/revoke", headers=HTML,
                              data={"csrf_token": csrf, "reason": ""})
    assert empty.status_code == 303 and "error=" in empty.headers["location"]
    assert "代理过程中未及时" in (await client.get("/catalog/providers/LY-YX-A")).text
    res = await client.post(f"/console/catalog/records/{record.id}/revoke", headers=HTML,
                            data={"csrf_token": csrf, "reason": "云溪市律师协会复查决定撤销（云律复〔2026〕1号）"})
    assert res.status_code == 303
    assert "代理过程中未及时" not in (await client.get("/catalog/providers/LY-YX-A")).text
    staff_page = await client.get("/console/catalog/records?provider=LY-YX-A", headers=HTML)
    assert "已撤回" in staff_page.text and "云律复" in staff_page.text
    audit = await staff_service.recent_audit(action_prefix="catalog.record_revoked")
    assert len(audit) == 1 and audit[0].target_id == str(record.id) and audit[0].actor_name


async def test_only_district_admins_manage_records(catalog: Any, client: Any) -> None:
    await make_staff(username="rec-clerk", role=Role.TOWNSHIP_STAFF, unit_codes=["TYZ"])
    await login(client, "rec-clerk")
    res = await client.get("/console/catalog/records", headers=HTML)
    assert res.status_code == 403
