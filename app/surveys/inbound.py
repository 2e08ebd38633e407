"""What the survey domain answers on WeChat: a rating in one tap ("1"…"5" or the level's words), a
correction within the window, the 追评 after a bad review was put right, the reason for a bad rating,
"不再评价"/"恢复评价", "解决了" after a consultation's answer, and consent to the survey's
subscription message (WeChat's pop-up event).

Registered ahead of the case desk's catch-all (priority 6) and the consultation; a digit that is no
rating (no invitation to answer, or the correction window passed) is declined for the others.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from app.core import metrics
from app.errors import FawuError
from app.residents import service as residents_service
from app.surveys import service
from app.wechat.router import Inbound, Reply, TextReply, router

log = logging.getLogger("fawu.surveys")

WORDS = {"非常满意": 1, "满意": 2, "基本满意": 3, "不满意": 4, "非常不满意": 5}
RATE_RE = re.compile(r"^\s*([1-5１-５])(?:\s*(非常满意|满意|基本满意|不满意|非常不满意))?(?:（.{1,4}）)?\s*[。.!！]?\s*$")
WORD_RE = re.compile(r"^\s*(非常满意|满意|基本满意|不满意|非常不满意)\s*[。.!！]?\s*$")
OPT_OUT_RE = re.compile(r"^\s*(不再评价|不要评价|退订评价|别再让我评价)\s*[。.!！]?\s*$")
OPT_IN_RE = re.compile(r"^\s*(恢复评价|开启评价)\s*[。.!！]?\s*$")
SOLVED_RE = re.compile(r"^\s*(问题)?(已经|已)?解决(了)?(问题)?[了啊呀吧，,。.!！\s]*(谢谢|多谢|感谢)?[！!。.\s]*$")
RECEIPT_RE = re.compile(r"^\s*(?:评价码?|我要评价)\s*[:：]?\s*(\d{8})\s*$")
TEXT_KINDS = ("text", "voice", "miniprogram")
STATE_COMMENT = "surveys:comment"  # after a bad rating: its reason
THANKS = {1: "感谢您的好评！我们会继续努力。", 2: "感谢您的评价！", 3: "感谢您的评价，我们会做得更好。"}
SORRY = ("很抱歉这次没有让您满意。您的评价已转交负责人核实整改，将在15个工作日内答复您。\n"
         "如愿意，请直接回复不满意的原因（可不填）。")


def _text(inbound: Inbound) -> str | None:
    if inbound.kind not in TEXT_KINDS or not inbound.text:
        return None
    return inbound.text.strip() or None


def level_of(text: str) -> int | None:
    """The rating a resident typed or tapped: "1", "１", "1 非常满意", "不满意"; None for anything else."""
    m = RATE_RE.match(text)
    if m:
        return int(m.group(1).translate(str.maketrans("１２３４５", "12345")))
    m = WORD_RE.match(text)
    return WORDS[m.group(1)] if m else None


TAP_RE = re.compile(r"^\s*[1-5]\s*(非常满意|满意|基本满意|不满意|非常不满意)(（.{1,4}）)?\s*$")


@router.before_all
async def tapped(inbound: Inbound) -> Reply | None:
    """A quick reply of the invitation ("1 非常满意") is unambiguous: it is a rating whatever dialogue is
    open (a bare digit is not: an open dialogue, e.g. the consultation's related questions, goes first)."""
    text = _text(inbound)
    if text is None or not TAP_RE.match(text):
        return None
    return await rate(inbound)


@router.on_text(RATE_RE.pattern + "|" + WORD_RE.pattern, priority=3)
async def rate(inbound: Inbound) -> Reply | None:
    text = _text(inbound)
    level = level_of(text) if text else None
    if level is None:
        return None
    try:
        open_followup = await service.open_followup_for(account_key=inbound.account_key, openid=inbound.openid)
        shown = str((inbound.state.data or {}).get("invitation_id") or "") if inbound.state.name == service.STATE_RATE else ""
        inv = await service.latest_for(account_key=inbound.account_key, openid=inbound.openid,
                                       prefer_id=int(shown) if shown.isdigit() else None)
        before = await service.response_of(invitation_id=inv.id) if inv is not None else None
        newer_invitation = (inv is not None and before is None and inv.sent_at is not None and open_followup is not None
                            and open_followup.answered_at is not None and inv.sent_at > open_followup.answered_at)
        if open_followup is not None and not newer_invitation:
            await service.followup(invitation_id=open_followup.invitation_id, level=level)
            return TextReply(f"已记录您的追评：{service.LEVELS[level]}。感谢您的监督！")
        if inv is None:
            return None
        if before is not None and not service.in_correction_window(before):
            return None  # an old rating is not changed by a digit typed for something else
        resp, result = await service.answer(invitation_id=inv.id, level=level, via="chat")
    except FawuError as exc:
        return TextReply(exc.message_zh)
    label = service.LEVELS[resp.level]
    if result == "same":
        return TextReply(f"已收到您的评价：{label}。")
    prefix = f"已将您的评价更正为：{label}。" if result == "corrected" else f"已收到您的评价：{label}。"
    if resp.level in service.BAD:
        inbound.state.set(STATE_COMMENT, {"invitation_id": inv.id}, ttl_minutes=30)
        return TextReply(f"{prefix}\n{SORRY}")
    return TextReply(f"{prefix}{THANKS[resp.level]}\n10分钟内如点错了，可重新回复数字更正。")


@router.on_text(RECEIPT_RE.pattern, priority=3)
async def receipt_code(inbound: Inbound) -> Reply | None:
    """A walk-in's receipt code sent in the chat ("评价 12345678"): the rating scale for that service, bound to
    this WeChat identity (one code per identity per 24 h; a refused code stays valid)."""
    text = _text(inbound)
    m = RECEIPT_RE.match(text or "")
    if m is None:
        return None
    try:
        inv = await service.claim_receipt(code=m.group(1), account_key=inbound.account_key, openid=inbound.openid)
        if await service.response_of(invitation_id=inv.id) is not None:
            return TextReply("这项服务已经评价过了，感谢您的参与！")
        survey = await service.used(inv.survey_key, inv.survey_version)
    except FawuError as exc:
        return TextReply(exc.message_zh)
    inbound.state.set(service.STATE_RATE, {"invitation_id": inv.id}, ttl_minutes=60)
    return TextReply(service.invitation_text(inv, survey))


@router.on_dialogue("surveys:")
async def comment(inbound: Inbound) -> Reply | None:
    """Right after an invitation a digit is its rating; after a bad rating the next words are its reason."""
    text = _text(inbound)
    if text is None:
        return None
    if level_of(text) is not None:
        return await rate(inbound)
    if inbound.state.name != STATE_COMMENT:
        return None
    inv_id = int((inbound.state.data or {}).get("invitation_id") or 0)
    inbound.state.clear()
    if OPT_OUT_RE.match(text) or SOLVED_RE.match(text):
        return None
    try:
        await service.add_comment(invitation_id=inv_id, text=text)
    except FawuError as exc:
        return TextReply(exc.message_zh)
    return TextReply("已记录您的意见，负责人会尽快核实并答复您。")


@router.on_text(OPT_OUT_RE.pattern, priority=3)
async def opt_out(inbound: Inbound) -> Reply | None:
    await service.set_opt_out(account_key=inbound.account_key, openid=inbound.openid, out=True)
    return TextReply("好的，以后不再向您发送服务评价邀请。如需恢复，请回复“恢复评价”。")


@router.on_text(OPT_IN_RE.pattern, priority=3)
async def opt_in(inbound: Inbound) -> Reply | None:
    await service.set_opt_out(account_key=inbound.account_key, openid=inbound.openid, out=False)
    return TextReply("已恢复服务评价邀请，感谢您的支持。")


@router.on_text(SOLVED_RE.pattern, priority=4)
async def solved(inbound: Inbound) -> Reply | None:
    """The resident marks the consultation's answer solved: an invitation in the reply (once per answer)."""
    state = inbound.state
    if state.name != "consult:answered" or not state.data:
        return None
    question = f"{state.data.get('top', '')}:{state.data.get('q', '')}"
    digest = hashlib.sha256(question.encode()).hexdigest()[:20]
    township = community = None
    if inbound.resident_id:
        try:
            r = await residents_service.get_resident(inbound.resident_id)
            township, community = r.township_code, r.community_code
        except FawuError:
            metrics.caught("surveys.solved", log, "resident %s not found", inbound.resident_id, level=logging.INFO)
    ref = service.ServiceRef(
        service_key=f"consult:{inbound.account_key}:{inbound.openid}:{digest}", service_type="consultation",
        service="consultation", resident_id=inbound.resident_id, account_key=inbound.account_key,
        openid=inbound.openid, township_code=township, community_code=community, provider="法律咨询机器人",
        channel=inbound.channel if inbound.channel in ("wechat", "miniprogram") else "wechat")
    text = await service.invite_in_reply(ref)
    state.clear()
    if text:
        state.set(service.STATE_RATE, {}, ttl_minutes=60)
    return TextReply("很高兴能帮到您！" + (f"\n{text}" if text else ""))


def _consents(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(template id, accept/reject) from a subscribe_msg_popup_event, nested as WeChat sends it or flat."""
    out: list[tuple[str, str]] = []
    if raw.get("TemplateId"):
        out.append((str(raw["TemplateId"]), str(raw.get("SubscribeStatusString", ""))))
    block = raw.get("SubscribeMsgPopupEvent")
    items: Any = block.get("List") if isinstance(block, dict) else None
    for item in items if isinstance(items, list) else [items] if isinstance(items, dict) else []:
        out.append((str(item.get("TemplateId", "")), str(item.get("SubscribeStatusString", ""))))
    return out


@router.on_event("subscribe_msg_popup_event")
async def consent(inbound: Inbound) -> Reply | None:
    for template_id, status in _consents(inbound.raw):
        await service.record_consent(account_key=inbound.account_key, openid=inbound.openid,
                                     template_id=template_id, status=status)
    return None
