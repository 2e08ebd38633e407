"""Early warnings end to end: the daily job (rollup, then the surge check) on seeded consultations,
the warning with masked evidence, its handling in the console (acknowledge, assign, close with what
was done), and the township scoping of warnings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.analytics import tasks
from app.core.actor import Role
from tests.analytics.conftest import TODAY, seed, week_ago
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_staff

pytestmark = pytest.mark.usefixtures("frozen")


async def _background() -> None:
    """Nine ordinary weeks: 3 wage questions a week in 云溪街道, 4 in 石桥镇, 3 in 桃源镇."""
    rows = []
    for n in range(1, 10):
        rows += [(week_ago(n), "YXJD", "JXSQ", "labor", f"y{n}-", 3), (week_ago(n), "SQZ", "SQSQ", "labor", f"s{n}-", 4),
                 (week_ago(n), "TYZ", "TYC", "labor", f"t{n}-", 3)]
    await seed(rows)


async def test_steady_weeks_raise_no_warning(app: Any) -> None:
    await _background()
    await seed([(TODAY, "YXJD", "JXSQ", "labor", "now", 4)])
    done = await tasks.daily()
    assert done["warnings"] == 0


async def test_surge_is_found_handled_and_scoped(app: Any, client: httpx.AsyncClient, new_client: Any) -> None:
    from app.consult.models import Consultation

    await _background()
    await seed([(TODAY, "YXJD", "JXSQ", "labor", "now", 14)])
    await Consultation.create(question="老板欠薪三个月，我电话13812345678", category="labor", township_code="YXJD",
                              community_code="JXSQ", channel="web", client="phone1", created_at=seed_at())
    done = await tasks.daily()
    assert done["warnings"] >= 1
    from app.analytics.models import EarlyWarning

    w = await EarlyWarning.get(source="consult", township_code="YXJD", community_code="", category="labor")
    assert w.observed == 15 and w.expected < 5 and w.p_value < 1e-4 and w.status == "open"
    assert not await EarlyWarning.filter(township_code__in=["SQZ", "TYZ"]).exists()

    # the township's clerk sees it, with the evidence masked
    await make_staff(username="yx", unit_codes=["YXJD"])
    await make_staff(username="yx2", name="王调解", unit_codes=["YXJD"], password=None)
    await login(client, "yx")
    listing = await client.get("/console/analytics/warnings", headers=HTML)
    assert listing.status_code == 200 and "云溪街道" in listing.text
    page = await client.get(f"/console/analytics/warnings/{w.id}", headers=HTML)
    assert page.status_code == 200 and "老板欠薪三个月" in page.text
    assert "13812345678" not in page.text and "5678" in page.text  # masked: 138****5678
    token = csrf_of(page.text)
    r = await client.post(f"/console/analytics/warnings/{w.id}/ack", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 303
    other = (await client.get(f"/console/analytics/warnings/{w.id}", headers=HTML)).text
    staff_id = int(other.split('<option value="')[1].split('"')[0])
    r = await client.post(f"/console/analytics/warnings/{w.id}/assign", headers=HTML,
                          data={"csrf_token": token, "staff_id": str(staff_id)})
    assert r.status_code == 303
    r = await client.post(f"/console/analytics/warnings/{w.id}/close", headers=HTML,
                          data={"csrf_token": token, "text": "  "})
    assert r.status_code == 400 and "请填写处理情况" in r.text
    r = await client.post(f"/console/analytics/warnings/{w.id}/close", headers=HTML,
                          data={"csrf_token": token, "text": "已约谈工地负责人，联合劳动监察排查，3人进入法律援助"})
    assert r.status_code == 303
    await w.refresh_from_db()
    assert w.status == "closed" and "劳动监察" in w.outcome
    assert [h["action"] for h in w.history] == ["open", "acknowledge", "assign", "close"]
    r = await client.post(f"/console/analytics/warnings/{w.id}/ack", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 409  # closed: no going back through acknowledge

    # found again the same week: the closed warning is not reopened, no second one is made
    await tasks.daily()
    assert await EarlyWarning.filter(source="consult", township_code="YXJD", community_code="",
                                     category="labor").count() == 1

    # another township's clerk: not found, and not listed
    await make_staff(username="sq", unit_codes=["SQZ"])
    c2 = new_client()
    await login(c2, "sq")
    assert (await c2.get(f"/console/analytics/warnings/{w.id}", headers=HTML)).status_code == 404
    assert "云溪街道" not in (await c2.get("/console/analytics/warnings?status=all", headers=HTML)).text
    # the district sees it
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    c3 = new_client()
    await login(c3, "admin")
    assert "云溪街道" in (await c3.get("/console/analytics/warnings?status=all", headers=HTML)).text


def seed_at() -> Any:
    from tests.analytics.conftest import at_local

    return at_local(TODAY, 11)



async def test_schedule_runs_in_the_background(app: Any) -> None:
    """The runner's schedule returns at once (the worker's jobs are not held up) and runs one at a time."""
    import asyncio

    from app import wiring
    from app.analytics.models import RollupRun

    schedules = {name: fn for name, _, fn in wiring.schedules()}
    assert await schedules["analytics.daily"]() is True
    assert await schedules["analytics.daily"]() is False  # still running
    for _ in range(200):
        if not tasks._running:
            break
        await asyncio.sleep(0.05)
    assert not tasks._running and await RollupRun.all().count() > 0
