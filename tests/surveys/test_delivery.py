"""S2 Delivery: inside the 48-hour window a customer-service message; outside it a subscription message
if the resident allowed it, else the next interaction; every invitation ends sent, queued or skipped
with a reason shown on the case (console page)."""

from __future__ import annotations

from typing import Any

import httpx

from app.cases.models import CaseEvent
from app.surveys.models import SurveyContact, SurveyInvitation
from tests.console.conftest import HTML, login
from tests.factories import make_staff
from tests.surveys.conftest import custom_texts, follower
from tests.surveys.helpers import clerk_and_lead, finished_case
from tests.wechat.helpers import PLAIN, SAFE, sim

TEMPLATE = "fawu-survey-invite"


async def test_outside_the_window_queued_then_delivered_at_the_next_interaction(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, lead = await clerk_and_lead()
    await follower(emu, PLAIN, "o_next")  # a follower who has not written to the backend: no window
    case = await finished_case(clerk, account_key=PLAIN, openid="o_next", told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "queued" and "下次互动" in inv.reason and "居民未订阅评价提醒" in inv.reason
    assert not [t for t in await custom_texts(emu, PLAIN, "o_next") if "非常满意" in t]
    # the reason is on the case page
    await make_staff(username="viewer", name="王五", unit_codes=["YXJD"])
    await login(client, "viewer")
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert "满意度评价" in page.text and "下次互动时送达" in page.text
    # the resident writes again: the invitation goes with the reply, and then counts as sent
    reply = (await sim(client, PLAIN).text("o_next", "你好")).text or ""
    assert "1 非常满意" in reply
    await drain_jobs()
    inv = await SurveyInvitation.get(id=inv.id)
    assert inv.status == "sent" and inv.via == "next" and inv.sent_at is not None
    assert await CaseEvent.filter(case_id=case.id, action="survey", reason__contains="已送达").count() == 1


async def test_outside_the_window_a_subscription_message_when_the_resident_allowed_it(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead(unit="YX")
    await emu.post("/_control/templates", json={"account_key": SAFE, "template_id": TEMPLATE, "subscription": True})
    await follower(emu, SAFE, "o_sub", kind="click")
    await emu.post("/_control/subscriptions", json={"account_key": SAFE, "openid": "o_sub", "template_id": TEMPLATE,
                                                    "kind": "once"})
    res = await sim(client, SAFE).event("o_sub", "subscribe_msg_popup_event", TemplateId=TEMPLATE,
                                        SubscribeStatusString="accept")
    assert res.status == 200
    assert (await SurveyContact.get(contact_key=f"w:{SAFE}:o_sub")).subscribe_consent == "once"
    case = await finished_case(clerk, account_key=SAFE, openid="o_sub", unit="YX", told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "sent" and inv.via == "subscribe", inv.reason
    sent = (await emu.get("/_control/sent", params={"kind": "bizsend", "account_key": SAFE})).json()
    assert len(sent) == 1 and sent[0]["openid"] == "o_sub" and "/survey/t/" in sent[0]["page"]
    # a one-time agreement is used up
    assert (await SurveyContact.get(contact_key=f"w:{SAFE}:o_sub")).subscribe_consent == ""


async def test_a_refused_subscription_message_waits_for_the_next_interaction(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    """A township's subscription account may not send subscription messages (48001): queued, with why."""
    clerk, _ = await clerk_and_lead()
    await follower(emu, PLAIN, "o_refused", kind="click")
    await sim(client, PLAIN).event("o_refused", "subscribe_msg_popup_event", TemplateId=TEMPLATE,
                                   SubscribeStatusString="accept")
    case = await finished_case(clerk, account_key=PLAIN, openid="o_refused", told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "queued" and "微信拒收 48001" in inv.reason, inv.reason


async def test_a_walk_in_without_wechat_gets_a_receipt_code(client: httpx.AsyncClient, drain_jobs: Any) -> None:
    clerk, _ = await clerk_and_lead()
    case = await finished_case(clerk, account_key=None, openid=None, told="in_person")
    await drain_jobs()
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "sent" and inv.via == "receipt" and inv.receipt_code in inv.reason
    page = await client.get("/survey")
    assert page.status_code == 200 and "评价码" in page.text
    wrong = await client.post("/survey", data={"code": "00000000" if inv.receipt_code != "00000000" else "11111111"})
    assert wrong.status_code == 404 and "评价码不正确" in wrong.text
    r = await client.post("/survey", data={"code": inv.receipt_code})
    assert r.status_code == 303 and r.headers["location"].startswith("/survey/t/")
    form = await client.get(r.headers["location"])
    assert form.status_code == 200 and case.number in form.text
