"""What the cases domain answers on WeChat: a resident with an open case is heard by their clerk.

Registered on ``app.wechat.router.router`` ahead of the consultation's text handlers (the safety
gate, a ``before_all``, still runs first): "查进度/我的事项" lists the resident's cases; "绑定 123456"
links a desk or hotline case (or a staff member's alerts); while a case is open, every other text
joins it (the clerk is alerted, a paused clock resumes) and the bot only acknowledges. A message
starting with "新问题" goes to the consultation instead; asking for a person again joins the case
through the hand-over.
"""

from __future__ import annotations

import re

from app.cases import frontdesk, handover
from app.cases import service as cases_service
from app.errors import FawuError
from app.wechat.router import Inbound, Reply, TextReply, router

PROGRESS_RE = re.compile(r"^\s*(查进度|查询进度|我的事项|事项进度|办理进度|进度查询|查事项)\s*[?？。!！]?\s*$")
BIND_RE = re.compile(r"^\s*绑定\s*[:：]?\s*(\d{6})\s*$")
NEW_QUESTION_RE = re.compile(r"^\s*(新问题|问新问题|咨询新问题|另一个问题|新的问题)\s*[:：,，]?\s*")
HANDOFF_WORDS = re.compile(r"转人工|人工客服|人工服务|找人工|要人工|接人工|转接人工|真人|工作人员")
TEXT_KINDS = ("text", "voice", "miniprogram")
ACK = ("已转给正在为您办理的工作人员（事项 {number}），请耐心等待回复。\n"
       "回复“查进度”可查看办理情况；如要咨询与此无关的新问题，请以“新问题”开头发送，例如：“新问题 房东不退押金”。")


def _text(inbound: Inbound) -> str | None:
    if inbound.kind not in TEXT_KINDS or not inbound.text:
        return None
    return inbound.text.strip() or None


router.identity_fact("open_case_id", handover.OPEN_CASE_SQL)


@router.on_text(PROGRESS_RE.pattern, priority=5)
async def progress(inbound: Inbound) -> Reply | None:
    """"查进度": the status of the resident's cases."""
    cases = await handover.resident_cases(resident_id=inbound.resident_id, account_key=inbound.account_key,
                                          openid=inbound.openid)
    return TextReply(handover.progress_text(cases))


@router.on_text(BIND_RE.pattern, priority=5)
async def bind(inbound: Inbound) -> Reply | None:
    """"绑定 123456": the code a clerk read out (or a staff member's alert code)."""
    m = BIND_RE.match(inbound.text or "")
    if m is None:
        return None
    try:
        return TextReply(await frontdesk.redeem_wechat_code(code=m.group(1), account_key=inbound.account_key,
                                                            openid=inbound.openid))
    except FawuError as exc:
        return TextReply(exc.message_zh)


@router.on_text(r"\S", priority=6)
async def to_open_case(inbound: Inbound) -> Reply | None:
    """While the resident has an open case, their words go to it; the bot only acknowledges."""
    text = _text(inbound)
    if text is None:
        return None
    if "open_case_id" in inbound.facts and inbound.facts["open_case_id"] is None:
        return None  # read with the identity: no open case (the usual message, no statement of its own)
    case = await handover.open_case_of(resident_id=inbound.resident_id, account_key=inbound.account_key,
                                       openid=inbound.openid)
    if case is None:
        return None
    fresh = NEW_QUESTION_RE.match(text)
    if fresh:  # a new, unrelated question: the consultation answers the rest
        rest = text[fresh.end():].strip()
        if not rest:
            return TextReply("请在“新问题”后面写下您要咨询的问题，例如：“新问题 房东不退押金怎么办”。")
        inbound.text = rest
        return None
    if HANDOFF_WORDS.search(text) and len(text) <= 20:
        return None  # asking for a person again: the hand-over joins the open case
    await cases_service.add_resident_message(case_id=case.id, text=text)
    return TextReply(ACK.format(number=case.number))
