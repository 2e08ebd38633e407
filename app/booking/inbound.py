"""What booking answers on WeChat (and in the mini-program chat): "预约" starts the guided dialogue
(state ``booking:*``, kept by the engine), "我的预约", "取消预约 <码>", "确认候补"."""

from __future__ import annotations

import re

from app.booking.service import dialogue, reminders
from app.core.clock import utcnow
from app.errors import FawuError
from app.wechat.router import Inbound, Reply, TextReply, router


def _apply(inbound: Inbound, turn: dialogue.Turn) -> Reply:
    if turn.state is None:
        inbound.state.clear()
    else:
        inbound.state.set(turn.state, turn.data, ttl_minutes=dialogue.TTL_MINUTES)
    return TextReply(turn.text)


START_RE = re.compile(r"^\s*(我要|我想)?(预约|预约办事|在线预约|预约律师|预约咨询)\s*$")
MINE_RE = re.compile(r"^\s*(我的预约|查预约|查看预约)\s*$")
CANCEL_RE = re.compile(r"^\s*取消预约\s*([A-Za-z0-9]{6})\s*$")
CLAIM_RE = re.compile(r"^\s*确认候补\s*$")


@router.before_all
async def booking_commands(inbound: Inbound) -> Reply | None:
    """The booking commands answer whatever dialogue is open (a consultation's follow-up included):
    they are exact phrases, so nothing else is taken from the other handlers."""
    if inbound.kind not in ("text", "voice", "miniprogram") or not inbound.text:
        return None
    text = inbound.text
    in_booking = (inbound.state.name or "").startswith(dialogue.PREFIX) and inbound.state.active(utcnow())
    try:
        if START_RE.match(text) and not in_booking:
            return _apply(inbound, await dialogue.start(board_code=inbound.board_code))
        if MINE_RE.match(text):
            return TextReply(await dialogue.my_bookings(openid=inbound.openid))
        if m := CANCEL_RE.match(text):
            return TextReply(await dialogue.cancel_by_chat(code=m.group(1), openid=inbound.openid))
        if CLAIM_RE.match(text):
            return TextReply(await dialogue.claim_by_chat(openid=inbound.openid))
    except FawuError as exc:
        return TextReply(exc.message_zh)
    return None


@router.on_dialogue(dialogue.PREFIX)
async def on_step(inbound: Inbound) -> Reply | None:
    if inbound.kind not in ("text", "voice", "miniprogram") or inbound.text is None:
        return None
    text = inbound.text.strip()
    turn = await dialogue.step(state=inbound.state.name or "", data=dict(inbound.state.data), text=text,
                               account_key=inbound.account_key, openid=inbound.openid,
                               resident_id=inbound.resident_id)
    return _apply(inbound, turn)


def _consents(raw: dict[str, object]) -> list[tuple[str, str]]:
    """(template id, accept/reject) from a subscribe_msg_popup_event, nested as WeChat sends it or flat."""
    out: list[tuple[str, str]] = []
    if raw.get("TemplateId"):
        out.append((str(raw["TemplateId"]), str(raw.get("SubscribeStatusString", ""))))
    block = raw.get("SubscribeMsgPopupEvent")
    items = block.get("List") if isinstance(block, dict) else None
    for item in items if isinstance(items, list) else [items] if isinstance(items, dict) else []:
        if isinstance(item, dict):
            out.append((str(item.get("TemplateId", "")), str(item.get("SubscribeStatusString", ""))))
    return out


@router.on_event("subscribe_msg_popup_event")
async def reminder_consent(inbound: Inbound) -> Reply | None:
    """The resident allowed (or refused) the reminder's subscription notification: kept for the reminders."""
    for template_id, status in _consents(inbound.raw):
        await reminders.consent(account_key=inbound.account_key, openid=inbound.openid, template_id=template_id,
                                status=status)
    return None
