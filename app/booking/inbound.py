"""What booking answers on WeChat (and in the mini-program chat): "预约" starts the guided dialogue
(state ``booking:*``, kept by the engine), "我的预约", "取消预约 <码>", "确认候补"."""

from __future__ import annotations

from app.booking.service import dialogue
from app.errors import FawuError
from app.wechat.router import Inbound, Reply, TextReply, router


def _apply(inbound: Inbound, turn: dialogue.Turn) -> Reply:
    if turn.state is None:
        inbound.state.clear()
    else:
        inbound.state.set(turn.state, turn.data, ttl_minutes=dialogue.TTL_MINUTES)
    return TextReply(turn.text)


@router.on_text(r"^\s*(我要|我想)?(预约|预约办事|在线预约|预约律师|预约咨询)\s*$", priority=10)
async def on_start(inbound: Inbound) -> Reply | None:
    return _apply(inbound, await dialogue.start(board_code=inbound.board_code))


@router.on_text(r"^\s*(我的预约|查预约|查看预约)\s*$", priority=10)
async def on_mine(inbound: Inbound) -> Reply | None:
    return TextReply(await dialogue.my_bookings(openid=inbound.openid))


@router.on_text(r"^\s*取消预约\s*[A-Za-z0-9]{6}\s*$", priority=10)
async def on_cancel(inbound: Inbound) -> Reply | None:
    code = (inbound.text or "").strip()[-6:]
    try:
        return TextReply(await dialogue.cancel_by_chat(code=code, openid=inbound.openid))
    except FawuError as exc:
        return TextReply(exc.message_zh)


@router.on_text(r"^\s*确认候补\s*$", priority=10)
async def on_claim(inbound: Inbound) -> Reply | None:
    try:
        return TextReply(await dialogue.claim_by_chat(openid=inbound.openid))
    except FawuError as exc:
        return TextReply(exc.message_zh)


@router.on_dialogue(dialogue.PREFIX)
async def on_step(inbound: Inbound) -> Reply | None:
    if inbound.kind not in ("text", "voice", "miniprogram") or inbound.text is None:
        return None
    text = inbound.text.strip()
    if text.startswith(("取消预约 ", "我的预约")) or text == "确认候补":
        return None  # the commands above answer, the dialogue stays
    turn = await dialogue.step(state=inbound.state.name or "", data=dict(inbound.state.data), text=text,
                               account_key=inbound.account_key, openid=inbound.openid,
                               resident_id=inbound.resident_id)
    return _apply(inbound, turn)
