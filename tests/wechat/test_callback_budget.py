"""The 5-second budget: over-budget handlers answer success; the answer follows, never dropped."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from app.config import get_settings, set_settings
from app.core.clock import utcnow
from app.jobs.models import Job
from app.wechat import late, service
from app.wechat.models import InboundMessage, PendingDelivery
from tests.conftest import make_settings
from tests.wechat.helpers import CALLS, SAFE, sim


async def _wait_status(openid: str, status: str, timeout: float = 3.0) -> InboundMessage:
    end = time.monotonic() + timeout
    while True:
        row = await InboundMessage.filter(openid=openid).order_by("id").first()
        if row is not None and row.status == status:
            return row
        assert time.monotonic() < end, f"status stayed {row.status if row else None}"
        await asyncio.sleep(0.05)


async def test_overrun_answers_success_and_queues_the_answer(client, drain_jobs) -> None:
    set_settings(make_settings(wechat_reply_budget=0.3, wechat_api_base="http://127.0.0.1:9"))
    s = sim(client, SAFE)
    openid = "o_slow"
    xml = s.text_xml(openid, "ZZT-slow 0.8 迟到的答复")
    t0 = time.monotonic()
    res = await s.post(xml)
    assert res.is_success and time.monotonic() - t0 < 0.7
    assert (await InboundMessage.get(openid=openid)).status == "deferred"
    assert await Job.filter(name="wechat.reply_later").exists()
    retry = await s.post(xml)  # WeChat's retry of a deferred message: success, not run again
    assert retry.is_success and CALLS[f"slow:{openid}"] == 1

    row = await _wait_status(openid, "delivered")
    assert row.reply_text == "慢答复：迟到的答复"
    # no API reachable: it waits for the resident's next interaction
    pending = await service.pending_for(account_key=SAFE, openid=openid)
    assert [p.payload["text"] for p in pending] == ["慢答复：迟到的答复"]

    nxt = await s.text(openid, "ZZT-echo 还在吗")
    assert nxt.text == "慢答复：迟到的答复\n\n回声：还在吗"
    assert await service.pending_for(account_key=SAFE, openid=openid) == []
    assert (await PendingDelivery.get(openid=openid)).delivered_via == "passive"

    # the safety job finds it delivered and does nothing
    await drain_jobs(now=utcnow() + timedelta(seconds=120))
    assert (await Job.get(name="wechat.reply_later")).status == "done"
    assert CALLS[f"slow:{openid}"] == 1


async def test_reply_later_job_recomputes_when_the_task_died(client, drain_jobs) -> None:
    set_settings(make_settings(wechat_reply_budget=0.2, wechat_api_base="http://127.0.0.1:9"))
    s = sim(client, SAFE)
    openid = "o_died"
    res = await s.text(openid, "ZZT-slow 0.4 重算")
    assert res.is_success

    for task in list(late._background):  # simulate a restart: the background task is gone
        task.cancel()
    await asyncio.sleep(0.05)
    row = await InboundMessage.get(openid=openid)
    assert row.status == "deferred"
    await drain_jobs(now=utcnow() + timedelta(seconds=120))
    row = await InboundMessage.get(openid=openid)
    assert row.status == "delivered" and row.reply_text == "慢答复：重算"
    assert len(await service.pending_for(account_key=SAFE, openid=openid)) == 1


async def test_a_message_whose_process_died_mid_handling_is_recovered(client, drain_jobs) -> None:
    """Persisted, then the process died before answering or deferring: the sweep hands it on."""
    from app.matrix.service import get_matrix
    from app.wechat.tasks import recover_stalled

    set_settings(make_settings(wechat_api_base="http://127.0.0.1:9"))
    openid = "o_crashed"
    row = await service.persist_inbound(
        account_key=SAFE, key="crash-1", openid=openid, kind="text", event=None, event_key=None, msg_id="987654321",
        text="ZZT-slow 0.01 崩溃后", raw={"ToUserName": get_matrix().accounts[SAFE].original_id, "FromUserName": openid, "CreateTime": "1700000000", "MsgType": "text",
             "Content": "ZZT-slow 0.01 崩溃后", "MsgId": "987654321"}, known=True,
        status="processing")
    assert row is not None
    assert await recover_stalled() == 0  # too recent: its process may still be working on it
    await InboundMessage.filter(id=row.id).update(
        created_at=utcnow() - timedelta(seconds=get_settings().wechat_stalled_after + 5))
    assert await recover_stalled() == 1
    assert await recover_stalled() == 0  # once
    await drain_jobs()
    row = await InboundMessage.get(id=row.id)
    assert row.status == "delivered" and row.reply_text == "慢答复：崩溃后"
    assert len(await service.pending_for(account_key=SAFE, openid=openid)) == 1
