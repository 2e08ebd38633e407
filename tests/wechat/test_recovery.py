"""Nothing lost, nothing doubled (issue 27 §9), in one process: a message that could not be stored is
answered with an error so WeChat retries; every intermediate state is recovered after a crash; what a
handler creates (a case on hand-over, the parts of a long answer) is made once however often recovery
runs it. The same scenarios across two `fawu serve` processes on MariaDB: test_faults_two_processes.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.config import get_settings, set_settings
from app.core.clock import utcnow
from app.wechat import service
from app.wechat.models import InboundMessage
from app.wechat.tasks import recover_stalled
from tests.conftest import make_settings
from tests.wechat.helpers import PLAIN, SAFE, sim


async def _age(openid: str, status: str) -> InboundMessage:
    """Make the message look as if its process died in ``status`` long ago."""
    old = utcnow() - timedelta(seconds=get_settings().wechat_stalled_after + 5)
    row = await InboundMessage.get(openid=openid)
    await InboundMessage.filter(id=row.id).update(status=status, created_at=old, updated_at=old)
    return row


async def test_a_message_that_cannot_be_stored_gets_an_error_and_its_retry_is_stored(client, monkeypatch) -> None:
    set_settings(make_settings(wechat_unstored_hold=0.3))
    real = service.persist_inbound
    down_until = asyncio.get_running_loop().time() + 0.6

    async def database_down(**kw):  # type: ignore[no-untyped-def]
        if asyncio.get_running_loop().time() < down_until:
            raise ConnectionRefusedError("Can't connect to MySQL server")
        return await real(**kw)

    monkeypatch.setattr(service, "persist_inbound", database_down)
    res = await sim(client, PLAIN).text("o_unstored", "ZZT-echo 存上了吗")
    statuses = [a.status for a in res.attempts]
    assert statuses[0] == 503  # never "success" while the message is not stored
    assert statuses[-1] == 200 and res.text == "回声：存上了吗"
    assert await InboundMessage.filter(openid="o_unstored").count() == 1


async def test_unstored_is_never_success_even_when_every_try_fails(client, monkeypatch) -> None:
    set_settings(make_settings(wechat_unstored_hold=0.1))

    async def database_down(**kw):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("Can't connect to MySQL server")

    monkeypatch.setattr(service, "persist_inbound", database_down)
    s = sim(client, PLAIN)
    params, body = s.sign(s.text_xml("o_unstored2", "ZZT-echo 丢了吗"))
    t0 = asyncio.get_running_loop().time()
    r = await client.post(f"/wechat/{PLAIN}", params=params, content=body)
    assert r.status_code == 503 and r.text != "success"
    assert asyncio.get_running_loop().time() - t0 >= 0.1  # held: WeChat's own timeout sees it too


async def test_a_handover_recovered_twice_makes_one_case(client, emulator, drain_jobs) -> None:
    from app.cases.models import Case

    set_settings(make_settings(wechat_reply_budget=4.0))
    openid = "o_handover_twice"
    res = await sim(client, SAFE).text(openid, "转人工")
    assert res.status == 200 and "编号" in (res.text or "")
    assert await Case.filter(openid=openid).count() == 1
    for status in ("processing", "redoing"):  # killed after the case was opened, before the answer was kept
        await _age(openid, status)
        assert await recover_stalled() == 1
        await drain_jobs()
    assert (await InboundMessage.get(openid=openid)).status == "delivered"
    assert await Case.filter(openid=openid).count() == 1


async def test_killed_while_delivering_is_delivered(client, emulator, drain_jobs) -> None:
    openid = "o_delivering"
    emulator.interact(emulator.add_follower(emulator.by_key(SAFE), openid=openid), "message")
    set_settings(make_settings(wechat_reply_budget=0.05))
    res = await sim(client, SAFE).text(openid, "ZZT-slow 0.2 迟到的答复")
    assert res.is_success
    await asyncio.sleep(0.4)
    await drain_jobs()
    sent = [m for m in emulator.sent.get("custom", []) if m["openid"] == openid]
    assert [m["text"]["content"] for m in sent] == ["慢答复：迟到的答复"]
    emulator.sent.clear()
    await _age(openid, "delivering")  # SIGKILL between "delivering" and "delivered"
    assert await recover_stalled() == 1
    assert await recover_stalled() == 0  # once
    await drain_jobs()
    assert (await InboundMessage.get(openid=openid)).status == "delivered"
    sent = [m for m in emulator.sent.get("custom", []) if m["openid"] == openid]
    assert [m["text"]["content"] for m in sent] == ["慢答复：迟到的答复"]  # at least once: sent again


async def test_answered_and_deferred_without_their_job_are_recovered(client, emulator, drain_jobs) -> None:
    from app.jobs.models import Job

    set_settings(make_settings(wechat_reply_budget=0.05))
    for openid, status in (("o_answered", "answered"), ("o_deferred", "deferred")):
        emulator.interact(emulator.add_follower(emulator.by_key(SAFE), openid=openid), "message")
        await sim(client, SAFE).text(openid, f"ZZT-slow 0.2 {status}")
        await asyncio.sleep(0.4)
        await Job.filter(name="wechat.reply_later").delete()  # the job was lost with its process
        row = await _age(openid, status)
        if status == "answered":
            await InboundMessage.filter(id=row.id).update(reply_text=f"慢答复：{status}")
        assert await recover_stalled() == 1
        await drain_jobs()
        assert (await InboundMessage.get(openid=openid)).status == "delivered"


async def test_the_parts_of_a_long_answer_are_queued_once_however_often_it_is_recovered(client, drain_jobs) -> None:
    from app.jobs.models import Job

    set_settings(make_settings(wechat_max_text_bytes=600, wechat_api_base="http://127.0.0.1:9"))
    openid = "o_long_twice"
    await sim(client, PLAIN).text(openid, "ZZT-long")
    await _age(openid, "processing")
    assert await recover_stalled() == 1
    await drain_jobs()
    assert await Job.filter(name="wechat.send_text").count() == 1
