"""S4 Restraint: a case closed without survey (with a reason); at most one invitation per resident per
24 h (also when several services end at once); opt-out honoured ("不再评价"), and undone."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.cases import service as cases_service
from app.staff.service import actor_for
from app.surveys import service
from app.surveys.models import SurveyContact, SurveyInvitation
from tests.console.conftest import HTML, login, session_csrf
from tests.factories import make_staff
from tests.surveys.conftest import custom_texts, follower
from tests.surveys.helpers import clerk_and_lead, finished_case
from tests.wechat.helpers import PLAIN, sim


async def _invited(ctl: httpx.AsyncClient, openid: str) -> int:
    return len([t for t in await custom_texts(ctl, PLAIN, openid) if "非常不满意" in t])


async def test_close_without_survey_with_a_reason(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                   drain_jobs: Any) -> None:
    clerk_row = await make_staff(username="desk1", name="李四", unit_codes=["YXJD"])
    clerk = await actor_for(clerk_row)
    await follower(emu, PLAIN, "o_nosurvey")
    await sim(client, PLAIN).text("o_nosurvey", "你好")
    case = await cases_service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                         township_code="YXJD", account_key=PLAIN, openid="o_nosurvey")
    await cases_service.take(actor=clerk, case_id=case.id)
    await login(client, "desk1")
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert "no-survey-form" in page.text
    token = await session_csrf(client)
    r = await client.post(f"/console/cases/{case.id}/no-survey", headers=HTML,
                          data={"csrf_token": token, "reason": "居民明确表示不愿接受回访"})
    assert r.status_code == 303
    await cases_service.give_result(actor=clerk, case_id=case.id, text="已答复", told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "skipped" and "居民明确表示不愿接受回访" in inv.reason and "李四" in inv.reason
    assert await _invited(emu, "o_nosurvey") == 0
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert "不发起评价：居民明确表示不愿接受回访" in page.text and "no-survey-form" not in page.text


async def test_one_invitation_per_resident_per_24_hours(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                         drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_gap")
    await sim(client, PLAIN).text("o_gap", "你好")
    first = await finished_case(clerk, account_key=PLAIN, openid="o_gap", told="in_person")
    second = await finished_case(clerk, account_key=PLAIN, openid="o_gap", told="in_person")
    await drain_jobs()
    assert (await SurveyInvitation.get(case_id=first.id)).status == "sent"
    skipped = await SurveyInvitation.get(case_id=second.id)
    assert skipped.status == "skipped" and "24小时内已收到过评价邀请" in skipped.reason
    assert await _invited(emu, "o_gap") == 1
    # a day later the next service is rated again
    await SurveyContact.filter(contact_key=f"w:{PLAIN}:o_gap").update(
        last_invited_at=(await SurveyContact.get(contact_key=f"w:{PLAIN}:o_gap")).last_invited_at - timedelta(hours=25))
    third = await finished_case(clerk, account_key=PLAIN, openid="o_gap", told="in_person")
    await drain_jobs()
    assert (await SurveyInvitation.get(case_id=third.id)).status == "sent"


@pytest.mark.mariadb_only
async def test_services_ending_at_once_make_one_invitation_per_resident(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_burst")
    await sim(client, PLAIN).text("o_burst", "你好")
    cases = [await finished_case(clerk, account_key=PLAIN, openid="o_burst", told="in_person") for _ in range(8)]
    await asyncio.gather(*[service.invite_case(case_id=c.id) for c in cases])
    statuses = [(await SurveyInvitation.get(case_id=c.id)).status for c in cases]
    assert statuses.count("sent") == 1 and statuses.count("skipped") == 7
    assert await _invited(emu, "o_burst") == 1


async def test_opt_out_is_honoured_and_can_be_undone(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                     drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_optout")
    s = sim(client, PLAIN)
    assert "不再向您发送" in ((await s.text("o_optout", "不再评价")).text or "")
    case = await finished_case(clerk, account_key=PLAIN, openid="o_optout", told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "skipped" and "不再接收" in inv.reason
    assert await _invited(emu, "o_optout") == 0
    assert "已恢复" in ((await s.text("o_optout", "恢复评价")).text or "")
    again = await finished_case(clerk, account_key=PLAIN, openid="o_optout", told="in_person")
    await drain_jobs()
    assert (await SurveyInvitation.get(case_id=again.id)).status == "sent"
