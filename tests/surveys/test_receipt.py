"""The walk-in's receipt (回执评价码): printed from the case and the booking desk with its code and a QR that
opens the board's landing page; sent in the chat ("评价 12345678") it binds the invitation to that WeChat
identity, and one identity takes at most one code per 24 hours (a refused code stays valid)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.core.clock import utcnow
from app.surveys.models import SurveyContact, SurveyInvitation, SurveyResponse
from tests.console.conftest import HTML, login
from tests.factories import make_staff
from tests.surveys.helpers import clerk_and_lead, finished_case
from tests.wechat.helpers import PLAIN, sim


async def _walk_in(clerk: Any, drain_jobs: Any, unit: str = "YXJD") -> SurveyInvitation:
    case = await finished_case(clerk, account_key=None, openid=None, told="in_person", unit=unit)
    await drain_jobs()
    return await SurveyInvitation.get(case_id=case.id)


async def test_the_receipt_prints_the_code_and_a_qr_of_the_landing_page(client: httpx.AsyncClient,
                                                                        drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    inv = await _walk_in(clerk, drain_jobs)
    await make_staff(username="desk", name="王五", unit_codes=["YXJD"])
    await make_staff(username="other", name="钱七", unit_codes=["TYZ"])
    await login(client, "desk")
    case_page = await client.get(f"/console/cases/{inv.case_id}", headers=HTML)
    assert f"/console/cases/{inv.case_id}/survey-receipt" in case_page.text
    r = await client.get(f"/console/cases/{inv.case_id}/survey-receipt", headers=HTML)
    assert r.status_code == 200, r.text
    assert inv.receipt_code in r.text and 'id="receipt-qr"' in r.text and "data:image/svg+xml;base64," in r.text
    assert f"/survey?code={inv.receipt_code}" in r.text and f"评价 {inv.receipt_code}" in r.text
    # the QR's address opens the landing page with the code filled in
    landing = await client.get(f"/survey?code={inv.receipt_code}")
    assert landing.status_code == 200 and f'value="{inv.receipt_code}"' in landing.text
    # another township's clerk cannot print it
    await client.post("/console/logout")
    client.cookies.clear()
    await login(client, "other")
    assert (await client.get(f"/console/cases/{inv.case_id}/survey-receipt", headers=HTML)).status_code == 404


async def test_a_code_in_the_chat_binds_it_and_one_identity_rates_one_code_per_24_hours(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    first, second = await _walk_in(clerk, drain_jobs), await _walk_in(clerk, drain_jobs)
    chat = sim(client, PLAIN)
    reply = (await chat.text("o_walk", f"评价 {first.receipt_code}")).text or ""
    assert "1 非常满意" in reply, reply
    assert (await SurveyInvitation.get(id=first.id)).openid == "o_walk"
    reply = (await chat.text("o_walk", "2")).text or ""
    assert "已收到您的评价：满意" in reply
    assert (await SurveyResponse.get(invitation_id=first.id)).level == 2
    # a second code from the same WeChat identity within 24 hours: refused, clearly, and the code stays valid
    # (time passes in the contact row: the callback's signature must stay fresh)
    contact = await SurveyContact.get(contact_key=f"w:{PLAIN}:o_walk")
    assert contact.last_rated_at is not None
    await SurveyContact.filter(id=contact.id).update(last_rated_at=utcnow() - timedelta(hours=23))
    reply = (await chat.text("o_walk", f"评价码：{second.receipt_code}")).text or ""
    assert "24小时内已用评价码评价过一次" in reply and second.receipt_code in reply and "仍然有效" in reply, reply
    kept = await SurveyInvitation.get(id=second.id)
    assert kept.openid is None and kept.status == "sent"
    # someone else's code already taken by o_walk is not theirs
    reply = (await chat.text("o_other", f"评价 {first.receipt_code}")).text or ""
    assert "已由其他微信用户使用" in reply
    # after 24 hours the same code is taken and rated
    await SurveyContact.filter(id=contact.id).update(last_rated_at=utcnow() - timedelta(hours=24, minutes=1))
    reply = (await chat.text("o_walk", f"评价 {second.receipt_code}")).text or ""
    assert "1 非常满意" in reply, reply
    reply = (await chat.text("o_walk", "1")).text or ""
    assert "已收到您的评价：非常满意" in reply
    assert (await SurveyResponse.get(invitation_id=second.id)).level == 1


async def test_receipt_codes_cannot_be_guessed(client: httpx.AsyncClient, emu: httpx.AsyncClient) -> None:
    """Tried codes are rate limited (``survey_code``: 10 a minute) on the landing page per client and in the
    chat per WeChat identity; the refusal is Chinese."""
    for i in range(10):
        r = await client.post("/survey", data={"code": f"{i:08d}"})
        assert r.status_code == 404 and "评价码不正确" in r.text
    r = await client.post("/survey", data={"code": "99999999"})
    assert r.status_code == 429 and "操作太频繁" in r.text
    chat = sim(client, PLAIN)
    for i in range(10):
        assert "评价码不正确" in ((await chat.text("o_guess", f"评价 {i:08d}")).text or "")
    assert "操作太频繁" in ((await chat.text("o_guess", "评价 99999999")).text or "")
