"""The InboundRouter wired into the callback pipeline: order of dispatch, scenes, menus, fallback."""

from __future__ import annotations

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from app.wechat import callback
from app.wechat.router import NO_REPLY, Inbound, InboundRouter, Reply, TextReply
from tests.wechat.helpers import PLAIN


def fresh() -> InboundRouter:
    r = InboundRouter()

    @r.on_scene("board:")
    async def scene(i: Inbound) -> Reply | None:
        return TextReply(f"scene={i.scene} board")

    @r.on_menu("consult:")
    async def menu(i: Inbound) -> Reply | None:
        return TextReply(f"menu={i.event_key}")

    @r.on_text(r"转人工", priority=10)
    async def handoff(i: Inbound) -> Reply | None:
        return TextReply("handoff")

    @r.fallback_text
    async def fallback(i: Inbound) -> Reply | None:
        return TextReply(f"fallback:{i.text}:{i.resident_id is not None}")

    @r.on_event("unsubscribe")
    async def unsub(i: Inbound) -> Reply | None:
        return NO_REPLY

    return r


async def send(r: InboundRouter, xml: str) -> str | None:
    sim = CallbackSimulator(get_matrix().get(PLAIN))
    params, body = sim.sign(xml)
    res = await callback.handle(account_key=PLAIN, params=params, body=body, router=r)
    reply, _ = sim.decode_reply(res.body)
    return reply.get("Content") if reply else res.body


async def test_dispatch_order_on_a_fresh_router(app) -> None:
    r = fresh()
    sim = CallbackSimulator(get_matrix().get(PLAIN))
    assert await send(r, sim.event_xml("o_r", "subscribe", "qrscene_board:YXJD-01")) == "scene=board:YXJD-01 board"
    assert await send(r, sim.event_xml("o_r", "SCAN", "board:YXJD-02")) == "scene=board:YXJD-02 board"
    assert await send(r, sim.event_xml("o_r", "CLICK", "consult:start")) == "menu=consult:start"
    assert await send(r, sim.text_xml("o_r", "我要转人工")) == "handoff"
    assert await send(r, sim.text_xml("o_r", "邻居噪音")) == "fallback:邻居噪音:True"
    assert await send(r, sim.event_xml("o_r", "unsubscribe")) == "success"
    assert await send(r, sim.event_xml("o_r", "VIEW", "https://e.org")) == "success"
