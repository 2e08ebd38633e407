"""S5 Bad review: 不满意/非常不满意 opens a rectification case at once for the lead of whoever served,
due in 15 working days by the case calendar (counted by hand below, 调休 included); the put-right steps
in order; 申诉复核 keeps the review counted until the district decides (audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx

from app.cases.models import Case
from app.core import clock
from app.core.actor import SYSTEM
from app.core.clock import LOCAL_TZ, to_local
from app.staff import service as staff_service
from app.staff.service import actor_for
from app.surveys import service
from app.surveys.models import SurveyResponse
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_staff
from tests.surveys.helpers import clerk_and_lead


async def _bad_review(clerk: Any, level: int = 4, unit: str = "YXJD") -> SurveyResponse:
    ref = service.ServiceRef(service_key=f"booking:{clerk.id}:{level}", service_type="appointment",
                             service="mediation", township_code=unit, provider=clerk.name, provider_id=clerk.id,
                             channel="walk_in")
    inv = await service.invite(ref)  # no WeChat: a receipt code
    resp, result = await service.answer(invitation_id=inv.id, level=level, via="board")
    assert result == "new"
    return resp


async def test_a_bad_review_opens_its_case_at_once_due_in_15_working_days(demo_org: None) -> None:
    clerk, lead = await clerk_and_lead()
    clock.freeze(datetime(2025, 9, 26, 10, 0, tzinfo=LOCAL_TZ))  # a Friday before National Day
    try:
        resp = await _bad_review(clerk)
    finally:
        clock.freeze(None)
    resp = await SurveyResponse.get(id=resp.id)
    case = await Case.get(id=resp.bad_case_id)  # no job was drained: at once
    assert case.type == "bad_review" and case.source_ref == f"survey:{resp.id}" and case.owner_id == lead.id
    # by hand: 9-28 (调休 Sunday) 9-29 9-30 | 10-1…10-8 holiday | 10-9 10-10 10-11 (调休 Saturday) 10-13 … 10-23
    assert to_local(case.deadline_at).date() == date(2025, 10, 23) and not case.deadline_provisional
    # the same review again (a retry of the job) opens nothing new
    assert await service.open_bad_review(response_id=resp.id) == case.id
    assert await Case.filter(type="bad_review").count() == 1


async def test_steps_in_order_and_the_appeal_decided_by_the_district(client: httpx.AsyncClient) -> None:
    clerk, lead = await clerk_and_lead()
    await make_staff(username="tsadmin", name="镇街员", unit_codes=["YXJD"])
    await make_staff(username="district", name="王主任", role="district_admin", unit_codes=["YX"])
    resp = await _bad_review(clerk, level=5)
    other = await make_staff(username="other_town", name="陈五", unit_codes=["TYZ"], password=None)
    try:  # another township does not see it
        await service.get_review(actor=await actor_for(other), response_id=resp.id)
        raise AssertionError("another township read the review")
    except service.ReviewNotFound:
        pass
    await login(client, "tsadmin")
    page = await client.get(f"/console/surveys/bad/{resp.id}", headers=HTML)
    token = csrf_of(page.text)
    r = await client.post(f"/console/surveys/bad/{resp.id}/verify", headers=HTML,
                          data={"csrf_token": token, "finding": "false", "note": "x"})
    assert r.status_code == 409 and "请先记录对居民的回访" in r.text  # a call-back comes first, always
    r = await client.post(f"/console/surveys/bad/{resp.id}/appeal", headers=HTML,
                          data={"csrf_token": token, "reason": "居民评价的是其他单位的服务"})
    assert r.status_code == 303
    _, total = await service.compute(actor=SYSTEM)
    assert total.counted == 1 and total.bad == 1 and total.appealing == 1  # counted until decided
    r = await client.post(f"/console/surveys/bad/{resp.id}/decide", headers=HTML,
                          data={"csrf_token": token, "upheld": "1", "note": "成立"})
    assert r.status_code == 403 and "区级" in r.text  # the township cannot decide its own appeal
    await client.post("/console/logout", headers=HTML, data={"csrf_token": token})
    client.cookies.clear()
    await login(client, "district")
    page = await client.get(f"/console/surveys/bad/{resp.id}", headers=HTML)
    assert "decide-form" in page.text
    r = await client.post(f"/console/surveys/bad/{resp.id}/decide", headers=HTML,
                          data={"csrf_token": csrf_of(page.text), "upheld": "1", "note": "经核查，评价对象有误"})
    assert r.status_code == 303
    resp = await SurveyResponse.get(id=resp.id)
    assert resp.appeal == "upheld" and not resp.counted and resp.appeal_decided_by == "王主任"
    _, total = await service.compute(actor=SYSTEM)
    assert total.responded == 1 and total.counted == 0 and total.bad == 0
    audit = [a.action for a in await staff_service.recent_audit(action_prefix="surveys.")]
    assert "surveys.appeal" in audit and "surveys.appeal_decision" in audit


async def test_a_labelled_residents_words_are_hidden_from_staff_not_cleared(client: httpx.AsyncClient) -> None:
    """安全标记 beyond the case: the review page keeps the rating but hides the words of a resident whose case
    is labelled above the reader's clearance (and audits the view, resident.listed)."""
    from app.core.actor import SECRET
    from app.staff.models import AuditLog
    from tests.factories import make_case, make_resident

    await make_staff(username="reviewer", name="审核员", unit_codes=["YX"])
    r = await make_resident(name="吴女士", phone="13833334444")
    ref = service.ServiceRef(service_key="booking:label:1", service_type="appointment", service="mediation",
                             township_code="YXJD", resident_id=r.id, channel="walk_in")
    inv = await service.invite(ref)
    resp, _ = await service.answer(invitation_id=inv.id, level=5, via="board",
                                   answers={"comment": "调解员把我住的地方告诉了我丈夫"})
    await login(client, "reviewer")
    page = await client.get(f"/console/surveys/bad/{resp.id}", headers=HTML)
    assert page.status_code == 200 and "告诉了我丈夫" in page.text  # nothing labelled yet
    case = await make_case(resident_id=r.id, summary="家暴求助", category="marriage_family")
    await Case.filter(id=case.id).update(security_level=SECRET)
    page = await client.get(f"/console/surveys/bad/{resp.id}", headers=HTML)
    assert page.status_code == 200 and "告诉了我丈夫" not in page.text and "受保护居民" in page.text
    assert "非常不满意" in page.text  # the rating itself stays
    assert await AuditLog.filter(action="resident.listed", target_id=str(r.id)).count() == 2
    assert "告诉了我丈夫" in (await SurveyResponse.get(id=resp.id)).answers["comment"]  # nothing changed in the row
