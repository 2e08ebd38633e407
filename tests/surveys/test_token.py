"""S3 Integrity: the survey page is reached by a signed, expiring link bound to the resident; staff
sessions and forged or expired tokens get 403."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.core import clock
from app.surveys import service
from app.surveys.models import SurveyInvitation, SurveyResponse
from tests.console.conftest import HTML, login
from tests.factories import make_staff
from tests.surveys.helpers import clerk_and_lead, finished_case


async def _invitation(drain_jobs: Any, openid: str | None = None) -> SurveyInvitation:
    clerk, _ = await clerk_and_lead(suffix=openid or "")
    case = await finished_case(clerk, account_key=None, openid=None, told="phone")
    await drain_jobs()
    return await SurveyInvitation.get(case_id=case.id)


async def test_the_resident_rates_on_the_page(client: httpx.AsyncClient, drain_jobs: Any) -> None:
    inv = await _invitation(drain_jobs)
    url = f"/survey/t/{service.make_token(inv)}"
    page = await client.get(url)
    assert page.status_code == 200 and "非常不满意" in page.text and "以后遇到法律问题" in page.text
    r = await client.post(url, data={"level": "2", "attitude": "1", "heard_from[]": ["公示牌二维码", "亲友介绍"],
                                     "first_choice": "会", "recommend": "9", "comment": "很耐心", "bogus": "x"})
    assert r.status_code == 200 and "感谢您的评价" in r.text
    resp = await SurveyResponse.get(invitation_id=inv.id)
    assert resp.level == 2 and resp.answered_via == "web"
    assert resp.answers == {"attitude": 1, "heard_from": ["公示牌二维码", "亲友介绍"], "first_choice": "会",
                            "recommend": 9, "comment": "很耐心"}
    bad = await client.post(url, data={"level": "9"})
    assert bad.status_code == 400 and "请选择一个评价等级" in bad.text
    assert (await SurveyResponse.get(id=resp.id)).level == 2


async def test_forged_expired_and_foreign_tokens_get_403(client: httpx.AsyncClient, drain_jobs: Any) -> None:
    inv = await _invitation(drain_jobs)
    token = service.make_token(inv)
    body, sig = token.rsplit(".", 1)
    forged = [f"{body}.{'0' * len(sig)}", token.replace(f"{inv.id}.", f"{inv.id + 1}.", 1), "1.2.3", "", "x" * 80]
    for t in forged:
        r = await client.get(f"/survey/t/{t}")
        assert r.status_code in (403, 404), (t, r.status_code)
        if r.status_code == 404:
            assert t == ""
        p = await client.post(f"/survey/t/{t}" if t else "/survey/t/x", data={"level": "1"})
        assert p.status_code == 403
    other = await _invitation(drain_jobs, "b")
    other_token = service.make_token(other)
    swapped = f"{inv.id}." + other_token.split(".", 1)[1]  # another invitation's signature and resident
    assert (await client.post(f"/survey/t/{swapped}", data={"level": "1"})).status_code == 403
    clock.freeze(clock.utcnow() + timedelta(days=8))
    try:
        expired = await client.post(f"/survey/t/{token}", data={"level": "1"})
        assert expired.status_code == 403 and "过期" in expired.text
    finally:
        clock.freeze(None)
    assert not await SurveyResponse.filter(invitation_id=inv.id).exists()


async def test_a_staff_session_cannot_rate(client: httpx.AsyncClient, drain_jobs: Any) -> None:
    inv = await _invitation(drain_jobs)
    url = f"/survey/t/{service.make_token(inv)}"
    await make_staff(username="self_rater", name="李四", unit_codes=["YXJD"])
    await login(client, "self_rater")
    assert (await client.get("/console/inbox", headers=HTML)).status_code == 200  # logged in
    for r in (await client.get(url), await client.post(url, data={"level": "1"}),
              await client.post("/survey", data={"code": inv.receipt_code})):
        assert r.status_code == 403 and "工作人员" in r.text
    assert not await SurveyResponse.filter(invitation_id=inv.id).exists()
