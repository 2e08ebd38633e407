"""The three rates: 满意率 from case ratings computed by hand (unrated and unknown answers outside the
denominator, small denominators not shown, month-on-month change), 知晓率 through the surveys hook,
暂无数据 where nobody answers yet; the coverage from the org tree; township scoping."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from app.analytics import service
from app.core import events
from app.core.actor import Role
from app.core.scope import OrgScope
from tests.analytics.conftest import TODAY, at_local
from tests.console.conftest import HTML, login
from tests.factories import make_case, make_staff

pytestmark = pytest.mark.usefixtures("frozen")


async def _rated(township: str, community: str, ratings: list[str | None], day: date) -> None:
    from app.cases.models import Case

    for r in ratings:
        case = await make_case(township_code=township, community_code=community)
        await Case.filter(id=case.id).update(result_at=at_local(day), rating=r)


async def _surveys(*, period: str, since: Any, **_: Any) -> list[dict[str, Any]]:
    """A stand-in for the surveys domain: this month's awareness answers in 云溪街道."""
    if (period, since) != ("month", service.bounds("month", date(2026, 11, 1))[0]):
        return []
    return [{"source": "survey_awareness", "grain": "township", "township_code": "YXJD", "dim": "aware",
             "count": 30, "residents": 30},
            {"source": "survey_awareness", "grain": "township", "township_code": "YXJD", "dim": "unaware",
             "count": 10, "residents": 10},
            {"source": "consult", "grain": "category", "count": 999}]  # a hook may not overwrite our own figures


@pytest.fixture
def surveys_hook() -> Any:
    from app import wiring

    events.subscribe(service.HOOK, _surveys)
    yield
    events.reset()
    wiring.wire_events()


async def test_rates_by_hand(app: Any, surveys_hook: None) -> None:
    await _rated("YXJD", "JXSQ", ["非常满意"] * 3 + ["满意"] * 2 + ["基本满意", "不满意", "非常不满意", None, "???"], TODAY)
    await _rated("SQZ", "SQSQ", ["满意", "不满意", "满意"], TODAY)
    await _rated("YXJD", "BHSQ", ["满意"] * 5, date(2026, 10, 15))
    await service.run_rollup(weeks=8)
    data = await service.three_rates(scope=OrgScope.everything())
    tables = {t.rate.key: t for t in data["tables"]}
    sat = tables["satisfaction"]
    yx = next(r for r in sat.rows if r.code == "YXJD")
    assert (yx.yes, yx.total, yx.rate) == (6, 8, 75.0)  # unrated and unknown answers are not in the denominator
    assert yx.prev_rate == 100.0 and yx.change == -25.0
    sq = next(r for r in sat.rows if r.code == "SQZ")
    assert sq.total == 3 and sq.rate is None  # fewer than 5 answers: not shown
    assert sat.district is not None and (sat.district.yes, sat.district.total) == (8, 11)
    aware = tables["awareness"]
    assert [(r.code, r.rate) for r in aware.rows] == [("YXJD", 75.0)]
    assert not tables["first_choice"].has_data
    from app.analytics.models import RollupCell

    assert not await RollupCell.filter(count=999).exists()
    cov = {c.code: c for c in data["coverage"]}
    assert cov["YXJD"].communities == 4 and cov["YXJD"].with_advisor == 4 and cov["YXJD"].station


async def test_rates_page_and_scope(app: Any, client: httpx.AsyncClient, new_client: Any) -> None:
    await _rated("YXJD", "JXSQ", ["非常满意"] * 3 + ["不满意"] * 2, TODAY)
    await service.run_rollup(weeks=8)
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    page = await client.get("/console/analytics/rates", headers=HTML)
    assert page.status_code == 200
    assert "满意率" in page.text and "60.0%" in page.text and "分母" in page.text
    assert "暂无数据" in page.text  # 知晓率 and 首选率: no surveys yet
    await make_staff(username="sq", unit_codes=["SQZ"])
    c2 = new_client()
    await login(c2, "sq")
    page = await c2.get("/console/analytics/rates?month=2026-11", headers=HTML)
    assert page.status_code == 200 and "云溪街道" not in page.text and "60.0%" not in page.text
    assert "石桥镇" in page.text


async def test_first_choice_and_ratings_come_from_the_real_surveys(app: Any) -> None:
    """The surveys domain answers the hook (no stand-in): 首选率 from the first-choice question, ratings of
    matters without a case in 满意率; no 知晓率 from people who have used the service."""
    from app.surveys import service as surveys_service

    picks = [("会", 1), ("会", 1), ("会", 1), ("会", 1), ("不一定", 1), ("不会", 4)]
    for i, (pick, level) in enumerate(picks):
        inv = await surveys_service.invite(surveys_service.ServiceRef(
            service_key=f"booking:fc{i}", service_type="appointment", service="notary", township_code="YXJD",
            community_code="JXSQ"))
        await surveys_service.answer(invitation_id=inv.id, level=level, answers={"first_choice": pick}, via="web")
    await service.run_rollup(weeks=8)
    tables = {t.rate.key: t for t in (await service.three_rates(scope=OrgScope.everything()))["tables"]}
    first = next(r for r in tables["first_choice"].rows if r.code == "YXJD")
    assert (first.yes, first.total, first.rate) == (4, 6, 66.7)
    sat = next(r for r in tables["satisfaction"].rows if r.code == "YXJD")
    assert (sat.yes, sat.total) == (5, 6)
    assert not tables["awareness"].has_data
