"""deliver_text/deliver_news: a customer-service message inside the window, else queued; never dropped."""

from __future__ import annotations

import httpx
import pytest

from app.emulator.server import create_emulator_app
from app.wechat import client as wechat_client
from app.wechat import delivery, service, windows
from app.wechat.models import PendingDelivery
from app.wechat.router import Article
from tests.wechat.helpers import PLAIN, SAFE, sim


@pytest.fixture
async def emulator(app, settings):
    emu = create_emulator_app(settings)
    wechat_client.use_transport(httpx.ASGITransport(app=emu))
    ctl = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu), base_url="http://emu")
    yield ctl
    await ctl.aclose()
    wechat_client.use_transport(None)


async def sent(ctl, key):
    return (await ctl.get("/_control/sent", params={"kind": "custom", "account_key": key})).json()


async def test_sent_inside_the_window(client, emulator) -> None:
    await emulator.post("/_control/interactions", json={"account_key": SAFE, "openid": "o_d1", "kind": "message"})
    await sim(client, SAFE).text("o_d1", "ZZT-echo 你好")  # opens fawu's own window too
    assert await delivery.deliver_text(account_key=SAFE, openid="o_d1", text="工作人员已受理") == "sent"
    assert await delivery.deliver_news(account_key=SAFE, openid="o_d1",
                                       articles=[Article(title="指南", url="https://example.org")]) == "sent"
    items = await sent(emulator, SAFE)
    assert [i["msgtype"] for i in items] == ["text", "news"]
    assert items[0]["text"]["content"] == "工作人员已受理"
    state = await windows.window_state(account_key=SAFE, openid="o_d1")
    assert state["long_left"] == 3
    conv = await service.conversation(account_key=SAFE, openid="o_d1")
    assert conv[-2]["text"] == "工作人员已受理" and conv[-1]["text"].startswith("[图文]")


async def test_queued_without_a_window_and_given_at_next_message(client, emulator) -> None:
    assert await delivery.deliver_text(account_key=PLAIN, openid="o_d2", text="您的预约已确认") == "queued"
    assert await sent(emulator, PLAIN) == []
    res = await sim(client, PLAIN).text("o_d2", "ZZT-echo 在吗")
    assert res.text == "您的预约已确认\n\n回声：在吗"
    assert (await PendingDelivery.get(openid="o_d2")).delivered_via == "passive"


async def test_on_delivered_job_enqueued_when_the_queued_answer_goes_out(client, emulator) -> None:
    from app.jobs.models import Job

    assert await delivery.deliver_text(account_key=PLAIN, openid="o_d9", text="已受理", on_delivered="zzt.seen",
                                       on_delivered_payload={"ref": 7}) == "queued"
    assert await Job.filter(name="zzt.seen").count() == 0  # not with the resident yet
    await sim(client, PLAIN).text("o_d9", "ZZT-echo 在吗")
    row = await PendingDelivery.get(openid="o_d9")
    job = await Job.get(name="zzt.seen")
    assert job.payload["ref"] == 7
    assert job.payload["delivered_at"] == row.delivered_at.isoformat()


async def test_quota_used_up_queues(client, emulator) -> None:
    await emulator.post("/_control/interactions", json={"account_key": SAFE, "openid": "o_d3", "kind": "click"})
    await sim(client, SAFE).event("o_d3", "CLICK", "info:hotline")  # 3 messages within a minute
    results = [await delivery.deliver_text(account_key=SAFE, openid="o_d3", text=f"第{i}条") for i in range(4)]
    assert results == ["sent", "sent", "sent", "queued"]
    assert len(await sent(emulator, SAFE)) == 3


async def test_window_closed_by_wechat_queues_and_closes(client, emulator) -> None:
    # fawu thinks the window is open, WeChat does not know this follower (e.g. unsubscribed): queued
    await sim(client, PLAIN).text("o_d4", "ZZT-echo hi")
    assert await delivery.deliver_text(account_key=PLAIN, openid="o_d4", text="答复") == "queued"
    assert len(await service.pending_for(account_key=PLAIN, openid="o_d4")) == 1


async def test_flush_pending_sends_waiting_news(client, emulator) -> None:
    await delivery.deliver_news(account_key=SAFE, openid="o_d5", articles=[{"title": "法律援助指南", "url": "https://e.org"}])
    await emulator.post("/_control/interactions", json={"account_key": SAFE, "openid": "o_d5", "kind": "message"})
    await sim(client, SAFE).text("o_d5", "ZZT-echo 你好")
    assert await delivery.flush_pending(account_key=SAFE, openid="o_d5") == 1
    assert [i["msgtype"] for i in await sent(emulator, SAFE)] == ["news"]
    assert await service.pending_for(account_key=SAFE, openid="o_d5") == []
