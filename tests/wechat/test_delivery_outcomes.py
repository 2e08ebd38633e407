"""Every queued answer ends sent, failed or expired with a reason (delivery_outcome); a customer-service
text over WeChat's 2048 bytes is split between grapheme clusters; one failing answer never holds back
the ones behind it (issue 23 §5)."""

from __future__ import annotations

from datetime import timedelta

import regex

from app.core.clock import utcnow
from app.emulator.state import Fault
from app.wechat import delivery, service, windows
from app.wechat.models import PendingDelivery
from app.wechat.replies import CONTINUED
from tests.wechat.helpers import FAMILY, PLAIN, SAFE, sim


def _custom(emulator, openid: str) -> list[str]:
    return [m["text"]["content"] for m in emulator.sent.get("custom", []) if m["openid"] == openid]


async def _open_window(client, emulator, key: str, openid: str) -> None:
    emulator.interact(emulator.add_follower(emulator.by_key(key), openid=openid), "message")
    await sim(client, key).text(openid, "ZZT-echo 在吗")  # opens fawu's own window too


async def test_a_long_customer_service_text_goes_in_parts_wechat_takes(client, emulator) -> None:
    openid = "o_cs_long"
    await _open_window(client, emulator, SAFE, openid)
    text = "您的案件办理结果如下：" + ("调解协议已签署，" * 150) + FAMILY * 40
    assert len(text.encode("utf-8")) > 2048 * 2
    assert await delivery.deliver_text(account_key=SAFE, openid=openid, text=text, ref="zzt:long") == "sent"
    parts = _custom(emulator, openid)
    assert len(parts) == 3 and all(len(p.encode("utf-8")) <= 2048 for p in parts)
    for p in parts:  # each part on its own is whole clusters
        assert "\u200d" not in regex.sub(r"\X", lambda m: "" if m.group() == FAMILY else m.group(), p)
    assert "".join(p.removesuffix(CONTINUED) for p in parts) == text
    outcome = await service.delivery_outcome(ref="zzt:long")
    assert outcome is not None and outcome.status == "sent" and outcome.parts == 3


async def test_the_emulator_refuses_an_unsplit_long_text_like_wechat(client, emulator) -> None:
    from app.wechat.client import get_client
    from app.wechat.errors import InvalidRequest

    openid = "o_cs_unsplit"
    await _open_window(client, emulator, SAFE, openid)
    try:
        await get_client().send_custom_text(SAFE, openid, "字" * 683, enforce_window=False)  # 2049 bytes
    except InvalidRequest as exc:
        assert exc.errcode == 45002
    else:
        raise AssertionError("2049 bytes were accepted")


async def test_a_refused_answer_fails_with_its_reason_and_the_next_ones_still_go(client, emulator) -> None:
    openid = "o_cs_block"
    for i in range(3):
        assert await delivery.deliver_text(account_key=PLAIN, openid=openid, text=f"第{i}条通知",
                                           ref=f"zzt:block:{i}") == "queued"
    emulator.interact(emulator.add_follower(emulator.by_key(PLAIN), openid=openid), "message")
    await windows.record_interaction(account_key=PLAIN, openid=openid, kind="message")  # no passive merge
    emulator.faults.append(Fault(endpoint="cgi-bin/message/custom/send", kind="errcode", errcode=45002,
                                 errmsg="content size out of limit"))
    assert await delivery.flush_pending(account_key=PLAIN, openid=openid) == 2
    assert _custom(emulator, openid) == ["第1条通知", "第2条通知"]
    first = await service.delivery_outcome(ref="zzt:block:0")
    assert first is not None and first.status == "failed" and "45002" in (first.reason or "")
    assert first.status_zh == "发送失败"
    for i in (1, 2):
        assert (await service.delivery_outcome(ref=f"zzt:block:{i}")).status == "sent"  # type: ignore[union-attr]
    assert await service.pending_for(account_key=PLAIN, openid=openid) == []


async def test_a_passing_failure_waits_then_fails_after_its_tries(client, emulator) -> None:
    openid = "o_cs_busy"
    await delivery.deliver_text(account_key=PLAIN, openid=openid, text="稍后送达", ref="zzt:busy")
    emulator.add_follower(emulator.by_key(PLAIN), openid=openid)
    outcomes = []
    for _ in range(delivery.MAX_ATTEMPTS):
        emulator.interact(emulator.by_key(PLAIN).followers[openid], "message")
        await windows.record_interaction(account_key=PLAIN, openid=openid, kind="message")
        emulator.faults.append(Fault(endpoint="cgi-bin/message/custom/send", kind="errcode", errcode=-1, remaining=3))
        await delivery.flush_pending(account_key=PLAIN, openid=openid)
        outcomes.append((await service.delivery_outcome(ref="zzt:busy")).status)  # type: ignore[union-attr]
    assert outcomes == ["queued"] * (delivery.MAX_ATTEMPTS - 1) + ["failed"]


async def test_an_answer_the_resident_never_comes_back_for_expires(client, settings) -> None:
    openid = "o_cs_gone"
    await delivery.deliver_text(account_key=PLAIN, openid=openid, text="结果已出", ref="zzt:gone")
    assert (await service.delivery_outcome(ref="zzt:gone")).status == "queued"  # type: ignore[union-attr]
    await PendingDelivery.filter(ref="zzt:gone").update(
        created_at=utcnow() - timedelta(days=settings.wechat_pending_expire_days + 1))
    assert await delivery.expire_pending() == 1
    outcome = await service.delivery_outcome(ref="zzt:gone")
    assert outcome is not None and outcome.status == "expired" and "天内未再" in (outcome.reason or "")
    res = await sim(client, PLAIN).text(openid, "ZZT-echo 我回来了")
    assert res.text == "回声：我回来了"  # an expired answer is not sent any more


async def test_queued_then_passive_is_sent(client) -> None:
    openid = "o_cs_passive"
    await delivery.deliver_text(account_key=PLAIN, openid=openid, text="已受理", ref="zzt:passive")
    await sim(client, PLAIN).text(openid, "ZZT-echo 好")
    outcome = await service.delivery_outcome(ref="zzt:passive")
    assert outcome is not None and outcome.status == "sent" and outcome.at is not None
    assert await service.delivery_outcome(ref="zzt:nothing") is None


async def test_a_send_claimed_by_a_dead_process_is_sent_again(client, emulator, drain_jobs, settings) -> None:
    from app.wechat.tasks import recover_stalled

    openid = "o_cs_claim"
    await delivery.deliver_text(account_key=PLAIN, openid=openid, text="不会丢", ref="zzt:claim")
    row = await PendingDelivery.get(ref="zzt:claim")
    assert await service.mark_delivered(pending_id=row.id, via="custom")  # claimed, then SIGKILL
    await PendingDelivery.filter(id=row.id).update(delivered_at=utcnow() - timedelta(seconds=600))
    emulator.interact(emulator.add_follower(emulator.by_key(PLAIN), openid=openid), "message")
    await windows.record_interaction(account_key=PLAIN, openid=openid, kind="message")
    assert await recover_stalled() == 1
    await drain_jobs()
    assert _custom(emulator, openid) == ["不会丢"]
    assert (await service.delivery_outcome(ref="zzt:claim")).status == "sent"  # type: ignore[union-attr]
