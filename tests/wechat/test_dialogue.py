"""A multi-turn dialogue is persisted per (account, openid) and expires."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.wechat import service
from app.wechat.models import DialogueStateRow
from tests.wechat.helpers import PLAIN, SAFE, sim


async def test_dialogue_survives_between_requests(client) -> None:
    s = sim(client, PLAIN)
    assert (await s.text("o_dlg", "ZZT-dlg start")).text == "请问您的姓名？"
    row = await DialogueStateRow.get(account_key=PLAIN, openid="o_dlg")
    assert row.name == "zzt_dlg" and row.data == {"step": 1}
    # another account of the matrix does not share the dialogue
    other = await sim(client, SAFE).text("o_dlg", "张三")
    assert other.text != "请问您的电话？"
    assert (await s.text("o_dlg", "张三")).text == "请问您的电话？"
    assert (await s.text("o_dlg", "138")).text == "完成：张三，138"
    row = await DialogueStateRow.get(account_key=PLAIN, openid="o_dlg")
    assert row.name is None


async def test_dialogue_expires(client) -> None:
    s = sim(client, PLAIN)
    await s.text("o_dlg2", "ZZT-dlg start")
    clock.freeze(clock.utcnow() + timedelta(minutes=31))
    try:
        state, _ = await service.load_dialogue(account_key=PLAIN, openid="o_dlg2")
        assert not state.active(clock.utcnow())
    finally:
        clock.freeze(None)


async def test_conversation_lists_both_sides(client) -> None:
    s = sim(client, PLAIN)
    await s.text("o_conv", "ZZT-echo 第一句")
    await s.text("o_conv", "ZZT-echo 第二句")
    conv = await service.conversation(account_key=PLAIN, openid="o_conv")
    assert [(m["role"], m["text"]) for m in conv] == [
        ("resident", "ZZT-echo 第一句"), ("bot", "回声：第一句"),
        ("resident", "ZZT-echo 第二句"), ("bot", "回声：第二句")]
