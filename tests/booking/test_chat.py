"""Booking in the chat through the real callback (POST /wechat/{key}, the callback simulator): the
guided dialogue with numbered replies, nearest point first after a board's scan, resuming after an
interruption, a slot taken meanwhile ("已约满" with the next ones), my bookings, cancel by code."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix

ACCOUNT = "yx_taoyuan"


@pytest.fixture
def sim(client: httpx.AsyncClient, settings: Any, plan: Any) -> CallbackSimulator:
    from app.config import set_settings

    set_settings(settings.model_copy(update={"wechat_timestamp_window": 0}))  # the clock is frozen in 2026-12-07
    return CallbackSimulator(get_matrix().get(ACCOUNT), base_url=str(client.base_url).rstrip("/"), client=client)


async def say(s: CallbackSimulator, openid: str, text: str) -> str:
    r = await s.text(openid, text)
    assert r.status == 200, r.body
    return r.text or ""


def option(reply: str, words: str) -> str:
    """The number of the option line containing ``words``."""
    m = re.search(rf"^(\d+)\. [^\n]*{re.escape(words)}", reply, re.M)
    assert m, (words, reply)
    return m.group(1)


async def test_dialogue_books_with_numbered_replies_and_survives_an_interruption(sim: CallbackSimulator) -> None:
    from app.booking.models import Booking

    o = "o_book_chat_1"
    r = await sim.event(o, "subscribe", "qrscene_board:TYC01")  # the board of 桃源村
    assert r.status == 200
    reply = await say(sim, o, "预约")
    assert "请选择要办理的事项" in reply and "公证咨询" in reply
    reply = await say(sim, o, option(reply, "公证咨询"))
    lines = [ln for ln in reply.splitlines() if re.match(r"^\d+\. ", ln)]
    assert "桃源村" in lines[0] and "桃源镇公共法律服务工作站" in lines[1] and "云溪区公共法律服务中心" in lines[2]
    reply = await say(sim, o, option(reply, "桃源镇公共法律服务工作站"))
    assert "12月7日 周一（可约" in reply and "12月8日 周二（可约 15 人）" in reply
    reply = await say(sim, o, option(reply, "12月8日"))
    assert "09:00（剩 3 个名额）" in reply
    reply = await say(sim, o, "哈哈")  # not an option: asked again, the dialogue stays
    assert reply.startswith("没有看懂您的选择") and "09:00" in reply
    reply = await say(sim, o, option(reply, "09:00"))
    assert "姓名" in reply
    reply = await say(sim, o, "李四")
    reply = await say(sim, o, "1380013")  # a wrong phone number: a clear message, asked again
    assert "手机号码格式不对" in reply
    reply = await say(sim, o, "13800138000")
    reply = await say(sim, o, "父亲的遗嘱要公证，电话13800138000")
    assert "请核对" in reply and "12月8日 周二 09:00" in reply and "138****8000" in reply
    reply = await say(sim, o, "1")
    assert reply.startswith("预约成功，预约码") and "桃源镇桃源大道16号" in reply and "uri.amap.com" in reply
    code = re.search(r"预约码 ([A-Z0-9]{6})", reply).group(1)  # type: ignore[union-attr]
    b = await Booking.get(code=code)
    assert b.channel == "chat" and b.board_code == "TYC01" and b.openid == o
    assert "13800138000" not in b.description  # a number typed into the description is masked
    reply = await say(sim, o, "1")  # the dialogue is over: "1" is no longer a booking answer
    assert await Booking.filter(openid=o).count() == 1
    reply = await say(sim, o, "我的预约")
    assert code in reply and "12月8日 周二 09:00" in reply
    reply = await say(sim, o, f"取消预约 {code}")
    assert reply.startswith("已取消预约")
    assert (await Booking.get(code=code)).status == "cancelled"


async def test_slot_taken_meanwhile_offers_the_next_ones(sim: CallbackSimulator, client: httpx.AsyncClient,
                                                         settings: Any) -> None:
    from app.booking import service
    from tests.booking.conftest import POINT, SERVICE, SLOT_AT

    o = "o_book_chat_2"
    reply = await say(sim, o, "我要预约")
    reply = await say(sim, o, option(reply, "公证咨询"))
    reply = await say(sim, o, option(reply, "桃源镇公共法律服务工作站"))
    reply = await say(sim, o, option(reply, "12月8日"))
    reply = await say(sim, o, option(reply, "09:00"))
    for text in ("王五", "13700137000", "无"):
        reply = await say(sim, o, text)
    assert "请核对" in reply
    for i in range(3):  # meanwhile three others book the slot at the desk
        await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name=f"窗口{i}",
                           phone=f"1360000000{i}", channel="console")
    reply = await say(sim, o, "1")
    assert reply.startswith("已约满") and "09:30" in reply and "回复 0 加入该时段的候补" in reply
    reply = await say(sim, o, option(reply, "09:30"))
    assert "请核对" in reply and "09:30" in reply  # name and phone kept
    reply = await say(sim, o, "1")
    assert reply.startswith("预约成功")
