"""B6 channels: a reminder goes as the subscription notification the resident allowed on the service account
(WeChat's pop-up, recorded through the callback), else by the chat; a refused one (43101: switched off) falls
back to the chat at once, with why; one never confirmed (the worker died after the claim) goes by the chat
when the fallback job runs; each reminder still reaches the resident once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.booking import service
from app.booking.models import Booking, BookingConsent, BookingReminder
from app.core import clock
from app.core.clock import LOCAL_TZ
from tests.booking.conftest import NOW, POINT, SERVICE, SLOT_AT
from tests.wechat.helpers import PLAIN, SAFE, sim

TEMPLATE = "fawu-booking-reminder"


@pytest.fixture
async def emu(app: Any, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The loopback WeChat behind app.wechat.client; yields its control client."""
    from app.emulator.server import create_emulator_app
    from app.wechat import client as wechat_client

    emulator_app = create_emulator_app(settings)
    wechat_client.use_transport(httpx.ASGITransport(app=emulator_app))
    ctl = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator_app), base_url="http://emu")
    yield ctl
    await ctl.aclose()
    wechat_client.use_transport(None)
DAY_BEFORE = datetime(2026, 12, 7, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


async def _allow(client: httpx.AsyncClient, emu: httpx.AsyncClient, openid: str, *, at_wechat: bool = True,
                 account: str = SAFE) -> None:
    """The resident taps 允许 in the pop-up: WeChat records it and sends the event (through the callback)."""
    await emu.post("/_control/templates", json={"account_key": account, "template_id": TEMPLATE, "subscription": True})
    await emu.post("/_control/interactions", json={"account_key": account, "openid": openid, "kind": "click"})
    if at_wechat:
        await emu.post("/_control/subscriptions", json={"account_key": account, "openid": openid,
                                                        "template_id": TEMPLATE, "kind": "once"})
    clock.freeze(None)  # the simulator signs with the real time
    try:
        res = await sim(client, account).event(openid, "subscribe_msg_popup_event", TemplateId=TEMPLATE,
                                               SubscribeStatusString="accept")
        assert res.status == 200
    finally:
        clock.freeze(NOW)


async def _book(phone: str, openid: str, account: str = SAFE) -> Booking:
    conf = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="孙八", phone=phone,
                              channel="chat", account_key=account, openid=openid, now=NOW)
    return await Booking.get(code=conf.code)


async def _chat(b: Booking, kind: str) -> int:
    from app.wechat.models import PendingDelivery

    return await PendingDelivery.filter(ref=f"booking:{b.id}:remind:{kind}").count()


async def _run_due(drain_jobs: Any, at: datetime) -> None:
    from app.jobs.models import Job

    clock.freeze(at)
    await Job.filter(name="wechat.flush_pending").delete()
    await drain_jobs(now=at)
    await Job.filter(name="wechat.flush_pending").delete()


async def _bizsends(emu: httpx.AsyncClient, openid: str) -> list[dict[str, Any]]:
    sent = (await emu.get("/_control/sent", params={"kind": "bizsend", "account_key": SAFE})).json()
    return [s for s in sent if s["openid"] == openid]


async def test_a_subscription_notification_when_allowed_then_the_chat_once_it_is_used_up(
        plan: Any, client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    await _allow(client, emu, "o_rem_sub")
    assert (await BookingConsent.get(account_key=SAFE, openid="o_rem_sub")).kind == "once"
    b = await _book("13300000011", "o_rem_sub")
    await _run_due(drain_jobs, DAY_BEFORE)
    sent = await _bizsends(emu, "o_rem_sub")
    assert len(sent) == 1 and await _chat(b, "day") == 0
    data = {k: v["value"] for k, v in sent[0]["data"].items()}
    assert data["time2"] == "2026-12-08 09:00" and data["character_string4"] == b.code and len(data["thing3"]) <= 20
    row = await BookingReminder.get(booking_id=b.id, kind="day")
    assert row.status == "sent" and row.via == "subscribe"
    # the one-time agreement is used up: the two-hours reminder goes by the chat
    assert (await BookingConsent.get(account_key=SAFE, openid="o_rem_sub")).kind == ""
    await _run_due(drain_jobs, datetime(2026, 12, 8, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC))
    assert await _chat(b, "soon") == 1 and len(await _bizsends(emu, "o_rem_sub")) == 1
    # the fallback job later finds it sent: nothing more
    await _run_due(drain_jobs, DAY_BEFORE + timedelta(minutes=30))
    assert await _chat(b, "day") == 0 and len(await _bizsends(emu, "o_rem_sub")) == 1


async def test_refused_by_wechat_falls_back_to_the_chat_with_the_reason(
        plan: Any, client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    await _allow(client, emu, "o_rem_off", at_wechat=False)  # switched off in WeChat since: 43101
    b = await _book("13300000012", "o_rem_off")
    await _run_due(drain_jobs, DAY_BEFORE)
    assert await _chat(b, "day") == 1 and not await _bizsends(emu, "o_rem_off")
    row = await BookingReminder.get(booking_id=b.id, kind="day")
    assert row.status == "fallback" and "43101" in row.reason and row.via == "chat"
    assert (await BookingConsent.get(account_key=SAFE, openid="o_rem_off")).kind == ""
    await _run_due(drain_jobs, DAY_BEFORE + timedelta(minutes=30))
    assert await _chat(b, "day") == 1


async def test_a_subscription_account_never_tries_it(plan: Any, client: httpx.AsyncClient,
                                                     emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    """Subscription notifications are for service accounts (48001 otherwise): the chat, no attempt."""
    await _allow(client, emu, "o_rem_plain", account=PLAIN)
    b = await _book("13300000013", "o_rem_plain", account=PLAIN)
    await _run_due(drain_jobs, DAY_BEFORE)
    assert await _chat(b, "day") == 1 and not await BookingReminder.filter(booking_id=b.id).exists()


async def test_worker_killed_after_the_claim_the_fallback_job_sends_it_once(
        plan: Any, client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.booking.service import reminders

    await _allow(client, emu, "o_rem_die")
    b = await _book("13300000014", "o_rem_die")

    async def dies(*a: Any, **kw: Any) -> str | None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(reminders, "_send", dies)
    await _run_due(drain_jobs, DAY_BEFORE)
    assert await _chat(b, "day") == 0
    assert (await BookingReminder.get(booking_id=b.id, kind="day")).status == "sending"
    monkeypatch.undo()
    await _run_due(drain_jobs, DAY_BEFORE + timedelta(minutes=6))
    assert await _chat(b, "day") == 1
    row = await BookingReminder.get(booking_id=b.id, kind="day")
    assert row.status == "fallback" and "未确认送达" in row.reason
    await _run_due(drain_jobs, DAY_BEFORE + timedelta(minutes=60))
    assert await _chat(b, "day") == 1 and not await _bizsends(emu, "o_rem_die")


async def test_the_mini_programs_subscribe_message_when_the_resident_allowed_it(
        app: Any, plan: Any, emulator: Any, drain_jobs: Any) -> None:
    """A resident logged in to the mini-program who allowed booking reminders there (wx.requestSubscribeMessage,
    recorded through /api/mp/subscriptions) gets the reminder as its subscribe message, once (the allowance
    is used); the next reminder goes by the chat."""
    clock.freeze(None)  # the emulator's login codes live in real time
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://wx") as wx:
        minted = (await wx.post("/_control/login_codes", json={})).json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        r = await c.post("/api/mp/login", json={"code": minted["code"]})
        assert r.status_code == 200, r.text
        h = {"Authorization": f"Bearer {r.json()['token']}"}
        tid = (await c.get("/api/mp/subscriptions", headers=h)).json()["booking_reminder"]["template_id"]
        r2 = await c.post("/api/mp/subscriptions", json={"scene": "booking_reminder", "results": {tid: "accept"}},
                          headers=h)
        assert r2.status_code == 200, r2.text
    mp = emulator.by_key("miniprogram")
    mp.sub_templates.add(tid)
    mp.subscriptions[(minted["openid"], tid)] = "once"
    clock.freeze(NOW)
    conf = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="周七",
                              phone="13300000015", channel="chat", account_key=SAFE, openid="o_rem_mp",
                              resident_id=r.json()["resident_id"], now=NOW)
    b = await Booking.get(code=conf.code)
    await _run_due(drain_jobs, DAY_BEFORE)
    sent = emulator.sent.get("mp_subscribe", [])
    assert len(sent) == 1 and sent[0]["openid"] == minted["openid"] and sent[0]["template_id"] == tid
    assert sent[0]["data"]["character_string4"]["value"] == b.code and await _chat(b, "day") == 0
    assert (await BookingReminder.get(booking_id=b.id, kind="day")).via == "mp"
    await _run_due(drain_jobs, datetime(2026, 12, 8, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC))
    assert await _chat(b, "soon") == 1 and len(emulator.sent.get("mp_subscribe", [])) == 1
