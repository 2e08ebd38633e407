"""S1 Once: a database unique key per service instance (100 concurrent completion events plus retries →
1 invitation, 1 message); 20 taps → 1 response; a change within the window keeps the first value."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.cases import service as cases_service
from app.cases.models import Case
from app.core import clock
from app.jobs.models import Job
from app.surveys import service
from app.surveys.models import SurveyInvitation, SurveyResponse
from tests.surveys.conftest import custom_texts, follower
from tests.surveys.helpers import clerk_and_lead, finished_case
from tests.wechat.helpers import PLAIN, sim


async def _invitations(ctl: httpx.AsyncClient, openid: str) -> list[str]:
    return [t for t in await custom_texts(ctl, PLAIN, openid) if "非常不满意" in t]


@pytest.mark.mariadb_only
async def test_hundred_concurrent_completion_events_make_one_invitation(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_once1")
    await sim(client, PLAIN).text("o_once1", "你好")  # opens the 48-hour window
    case = await finished_case(clerk, account_key=PLAIN, openid="o_once1", told="in_person")
    # 100 completion events at once (as many workers running the invitation job) plus the job itself
    results = await asyncio.gather(*[service.invite_case(case_id=case.id) for _ in range(100)],
                                   return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    await asyncio.gather(*[cases_service.offer_survey(case=case) for _ in range(20)])  # the hook, retried
    await drain_jobs()
    assert await SurveyInvitation.filter(case_id=case.id).count() == 1
    assert len({r.id for r in results if isinstance(r, SurveyInvitation)}) == 1
    assert len(await _invitations(emu, "o_once1")) == 1
    assert (await Case.get(id=case.id)).survey_status == "sent"


async def test_completion_events_and_retries_make_one_invitation(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                                 drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_once2")
    await sim(client, PLAIN).text("o_once2", "你好")
    case = await finished_case(clerk, account_key=PLAIN, openid="o_once2", told="in_person")
    for _ in range(5):
        await cases_service.offer_survey(case=case)
        await service.invite_case(case_id=case.id)
    await drain_jobs()
    assert await Job.filter(name="surveys.invite").count() == 1  # the outbox's dedupe key
    assert await SurveyInvitation.filter(case_id=case.id).count() == 1  # the table's unique key
    assert len(await _invitations(emu, "o_once2")) == 1


async def test_twenty_taps_make_one_response(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                             drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_taps")
    s = sim(client, PLAIN)
    await s.text("o_taps", "你好")
    case = await finished_case(clerk, account_key=PLAIN, openid="o_taps", told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    results = await asyncio.gather(*[service.answer(invitation_id=inv.id, level=2, via="chat") for _ in range(20)],
                                   return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r[1] for r in results if isinstance(r, tuple)).count("new") == 1
    for _ in range(3):  # and through the callback: the same tap again (a new message each time)
        assert "已收到您的评价：满意" in ((await s.text("o_taps", "2")).text or "")
    assert await SurveyResponse.filter(invitation_id=inv.id).count() == 1
    resp = await SurveyResponse.get(invitation_id=inv.id)
    assert resp.level == 2 and resp.history == []


async def test_a_mis_tap_is_corrected_within_ten_minutes_then_never(client: httpx.AsyncClient,
                                                                   emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_mistap")
    s = sim(client, PLAIN)
    await s.text("o_mistap", "你好")
    case = await finished_case(clerk, account_key=PLAIN, openid="o_mistap", told="in_person")
    await drain_jobs()
    assert "非常不满意" in ((await s.text("o_mistap", "5")).text or "")
    resp = await SurveyResponse.get(invitation__case_id=case.id)
    assert resp.bad_case_id is not None

    async def aged(minutes: int) -> None:  # the callback checks WeChat's timestamp: age the row, not the clock
        at = clock.utcnow() - timedelta(minutes=minutes)
        await SurveyResponse.filter(id=resp.id).update(first_at=at)

    await aged(9)
    reply = (await s.text("o_mistap", "1")).text or ""
    assert "已将您的评价更正为：非常满意" in reply
    resp = await SurveyResponse.get(id=resp.id)
    assert resp.level == 1 and [h["level"] for h in resp.history] == [5]  # the first value kept
    assert (await Case.get(id=resp.bad_case_id)).status == "closed"  # the bad review withdrawn at once
    reply = (await s.text("o_mistap", "5 非常不满意")).text or ""  # and back again: the same case, reopened
    assert "已将您的评价更正为：非常不满意" in reply
    assert (await Case.get(id=resp.bad_case_id)).status in ("accepted", "in_progress")
    await aged(11)
    with pytest.raises(service.RatingLocked):
        await service.answer(invitation_id=resp.invitation_id, level=4)
    reply = (await s.text("o_mistap", "4")).text or ""
    assert "已收到您的评价" not in reply and "更正为" not in reply  # the digit is no longer a rating
    resp = await SurveyResponse.get(id=resp.id)
    assert resp.level == 5 and [h["level"] for h in resp.history] == [5, 1]


async def test_no_default_rating(client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    """An invitation nobody answers stays without a response; figures count it only as invited."""
    clerk, _ = await clerk_and_lead()
    case = await finished_case(clerk, account_key=None, openid=None, told="phone")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "sent" and inv.via == "receipt"
    with pytest.raises(service.RatingInvalid):
        await service.answer(invitation_id=inv.id, level="", via="web")
    assert not await SurveyResponse.filter(invitation_id=inv.id).exists()


async def test_an_invitation_left_pending_by_a_crash_is_finished_once(client: httpx.AsyncClient,
                                                                      emu: httpx.AsyncClient) -> None:
    from app.surveys import invitations

    await follower(emu, PLAIN, "o_crash")
    await sim(client, PLAIN).text("o_crash", "你好")
    ref = service.ServiceRef(service_key="booking:crash", service_type="appointment", account_key=PLAIN,
                             openid="o_crash", township_code="YXJD")
    inv, created = await invitations.create(ref)  # the process died before deciding and sending
    assert created and inv.status == "pending"
    assert await service.resume_pending() == 0  # too fresh: another process may still be sending it
    await SurveyInvitation.filter(id=inv.id).update(created_at=clock.utcnow() - timedelta(minutes=5))
    assert await asyncio.gather(service.resume_pending(), service.resume_pending()) in ([1, 1], [1, 0], [0, 1])
    assert (await SurveyInvitation.get(id=inv.id)).status == "sent"
    assert len(await _invitations(emu, "o_crash")) == 1
