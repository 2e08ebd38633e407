"""What the consult domain answers on WeChat: safety first, law lookup, clarify → answer → hand-over.

Registered on ``app.wechat.router.router``: a ``before_all`` safety check, the ``consult:`` dialogue
(clarifying choice, dissatisfaction count), "转人工" and the ``consult:`` menu keys, the law-lookup
text patterns, and the text fallback (the consultation itself).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from app.consult import service
from app.consult.engine import current
from app.core import metrics
from app.core.ratelimit import RateLimited
from app.laws import service as laws_service
from app.org import service as org_service
from app.residents import service as residents_service
from app.wechat.router import Inbound, Reply, TextReply, router

log = logging.getLogger("fawu.consult")

TEXT_KINDS = ("text", "voice", "miniprogram")
STATE_CLARIFY = "consult:clarify"
STATE_ANSWERED = "consult:answered"
DETAIL_RE = re.compile(r"^\s*(详细|详情|全文|完整|看详细|展开|更多|详细点|具体点|具体说说)[的说点些一下吧啊呢！!。.\s]*$")
UNHAPPY_RE = re.compile(r"^(没用|没有用|不对|不是|不是这个|听不懂|看不懂|没听懂|没看懂|不明白|答非所问|"
                        r"说的不对|什么玩意|没帮助|没有帮助|不满意|胡说|乱说|还是不懂|不懂)[啊呀吧的了！!。.，,\s]*$")
PROMPT = "请直接输入您想咨询的法律问题，例如：“老板拖欠工资怎么办”“离婚孩子归谁”。也可以回复“转人工”。"


@dataclass
class Where:
    community_code: str | None = None
    township_code: str | None = None
    special_groups: list[str] | None = None


async def _where(inbound: Inbound) -> Where:
    """The resident's community: the board they scanned, else their last known location."""
    w = Where()
    try:
        if inbound.resident_id:
            # the engine read the resident with the identity (one statement fewer per question)
            r = inbound.facts.get("resident") or await residents_service.get_resident(inbound.resident_id)
            w.community_code, w.township_code = r.community_code, r.township_code
            w.special_groups = list(r.special_groups or [])
        if inbound.board_code:
            board = await org_service.get_board(inbound.board_code)
            w.community_code = board.community.code
            w.township_code = (await org_service.unit_info(w.community_code)).township_code
    except Exception:  # the answer goes without the community's advisor and desk
        metrics.caught("consult.where", log, "resident location unknown", level=logging.INFO)
    return w


async def _ask(inbound: Inbound, text: str, **kw: object) -> service.Answer:
    w = await _where(inbound)
    return await service.ask(text, channel=inbound.channel, account_key=inbound.account_key,
                             community_code=w.community_code, township_code=w.township_code,
                             board_code=inbound.board_code, resident_id=inbound.resident_id,
                             special_groups=w.special_groups, openid=inbound.openid, **kw)  # type: ignore[arg-type]


async def _hand_over(inbound: Inbound, *, text: str, category: str, urgent: bool = False) -> str:
    w = await _where(inbound)
    h = await service.hand_over(text=text, category=category, urgent=urgent, resident_id=inbound.resident_id,
                                channel=inbound.channel, account_key=inbound.account_key, openid=inbound.openid,
                                community_code=w.community_code, township_code=w.township_code,
                                board_code=inbound.board_code,
                                source_ref=f"wechat:{inbound.account_key}:{inbound.message_id}"
                                if inbound.message_id else None)
    return h.reply


def _remember(inbound: Inbound, answer: service.Answer, text: str) -> None:
    if answer.clarify_codes:
        inbound.state.set(STATE_CLARIFY, {"q": text, "codes": answer.clarify_codes})
    elif answer.answers:
        related = [r.id for r in answer.answers[1:2]] if not answer.two_issues else []
        inbound.state.set(STATE_ANSWERED, {"q": text, "category": answer.category, "unhappy": 0,
                                           "related": related, "top": answer.answers[0].id})
    else:
        inbound.state.clear()  # a greeting, thanks, the advisor card...


async def _answer(inbound: Inbound, text: str, **kw: object) -> Reply:
    try:
        answer = await _ask(inbound, text, **kw)
    except RateLimited as exc:  # this resident asked too much too fast: say so (danger is never limited)
        return TextReply(exc.message_zh)
    if answer.handoff:
        question, category = text, answer.category
        data = inbound.state.data if (inbound.state.name or "").startswith("consult:") else {}
        if answer.intent == "handoff" and data.get("q"):  # "找个真人" after a question: hand that one over
            question, category = f"{data['q']}（{text}）", str(data.get("category") or category)
        inbound.state.clear()
        extra = await _hand_over(inbound, text=question, category=category, urgent=answer.urgent)
        return TextReply(f"{answer.reply}\n{extra}")
    _remember(inbound, answer, text)
    return TextReply(answer.reply)


async def _entry(inbound: Inbound, entry_id: str, question: str) -> Reply | None:
    """The answer of one entry the resident picked (a related question, one of two close ones)."""
    w = await _where(inbound)
    answer = await service.answer_entry(entry_id, text=question, community_code=w.community_code,
                                        township_code=w.township_code, special_groups=w.special_groups)
    if answer is None:
        return None
    inbound.state.set(STATE_ANSWERED, {"q": question, "category": answer.category, "unhappy": 0,
                                       "related": [], "top": entry_id})
    return TextReply(answer.reply)


def _text(inbound: Inbound) -> str | None:
    if inbound.kind not in TEXT_KINDS or not inbound.text:
        return None
    return inbound.text.strip() or None


@router.before_all
async def safety_first(inbound: Inbound) -> Reply | None:
    """Danger to life or body: emergency guidance and an urgent case, whatever else is asked."""
    text = _text(inbound)
    if text is None or service.danger_of(await current(), text) is None:
        return None
    return await _answer(inbound, text)


@router.on_dialogue("consult:")
async def consult_dialogue(inbound: Inbound) -> Reply | None:
    text = _text(inbound)
    if text is None:
        return None
    data = inbound.state.data
    if inbound.state.name == STATE_CLARIFY:
        codes: list[str] = list(data.get("codes") or [])
        original = str(data.get("q") or "")
        choice = re.fullmatch(r"\s*([0-9０-９]{1,2})\s*", text)
        if choice:
            n = int(choice.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
            if n == 0:
                inbound.state.clear()
                return TextReply(await _hand_over(inbound, text=original, category="other"))
            if 1 <= n <= len(codes):
                code = codes[n - 1]
                if code.startswith(service.ENTRY_CHOICE):
                    return await _entry(inbound, code.removeprefix(service.ENTRY_CHOICE), original)
                return await _answer(inbound, original, category=code)
            return TextReply(f"请回复 1 到 {len(codes)} 之间的数字，或回复“转人工”。")
        if service.HANDOFF_RE.search(text):
            return None  # the hand-over handler takes it
        return await _answer(inbound, f"{original} {text}".strip(), second_turn=True)
    related: list[str] = list(data.get("related") or []) if inbound.state.name == STATE_ANSWERED else []
    pick = re.fullmatch(r"\s*([1-9])\s*", text)
    if pick and 1 <= int(pick.group(1)) <= len(related):
        return await _entry(inbound, related[int(pick.group(1)) - 1], str(data.get("q") or ""))
    if inbound.state.name == STATE_ANSWERED and data.get("top") and DETAIL_RE.match(text):
        w = await _where(inbound)
        detail = await service.detail_reply(str(data["top"]), community_code=w.community_code,
                                            township_code=w.township_code)
        if detail is not None:
            return TextReply(detail)
    if inbound.state.name == STATE_ANSWERED and UNHAPPY_RE.match(text):
        unhappy = int(data.get("unhappy", 0)) + 1
        question = str(data.get("q") or text)
        category = str(data.get("category") or "other")
        if unhappy >= 2:
            inbound.state.clear()
            return TextReply("抱歉没能帮到您。" + await _hand_over(inbound, text=question, category=category))
        inbound.state.set(STATE_ANSWERED, {**data, "unhappy": unhappy})
        return TextReply("抱歉没能答到点子上。您可以换个说法，把事情经过说得再具体一些（比如谁、什么时候、"
                         "发生了什么、想要什么结果），或回复“转人工”由工作人员解答。")
    return None


@router.on_text(r"^\s*(转人工|人工客服|人工服务|找人工|要人工|接人工|人工|转接人工|找工作人员)\s*[!！。.]?\s*$",
                priority=20)
async def handoff_text(inbound: Inbound) -> Reply | None:
    data = inbound.state.data if inbound.state.name and inbound.state.name.startswith("consult:") else {}
    question = str(data.get("q") or inbound.text or "转人工")
    category = str(data.get("category") or "other")
    inbound.state.clear()
    return TextReply(await _hand_over(inbound, text=question, category=category))


@router.on_menu("consult:handoff")
async def handoff_menu(inbound: Inbound) -> Reply | None:
    inbound.state.clear()
    return TextReply(await _hand_over(inbound, text="居民点击菜单“转人工”", category="other"))


@router.on_menu("consult:")
async def consult_menu(inbound: Inbound) -> Reply | None:
    return TextReply(PROMPT)


# ---- law lookup (法规查询) ----

LOOKUP_PATTERN = r"第?\s*[零〇一二三四五六七八九十百千两\d]+\s*条"
SEARCH_PATTERN = r"^\s*查(一下|询|查)?\s*.{1,30}(法条|条文|法律|规定)\s*$|法条|条文|哪条法律"


@router.on_text(LOOKUP_PATTERN, priority=40)
async def law_article(inbound: Inbound) -> Reply | None:
    text = _text(inbound)
    if text is None or len(text) > 40:
        return None
    try:
        found = await laws_service.parse_lookup(text)
        if found is None:
            return None
        law, number, sub = found
        view = await laws_service.get_article(law=law, article=number if not sub else f"{number}条之{sub}")
    except laws_service.LawNotFound:
        return None
    except laws_service.ArticleNotFound as exc:
        return TextReply(exc.message_zh)
    except Exception:  # no corpus loaded: let the consultation answer
        metrics.caught("consult.law_lookup", log, "law lookup unavailable", level=logging.INFO)
        return None
    return TextReply(view.as_text(max_chars=550) + "\n（以上为法规库文本，具体适用请咨询律师或拨打 12348）")


@router.on_text(SEARCH_PATTERN, priority=45)
async def law_search(inbound: Inbound) -> Reply | None:
    text = _text(inbound)
    if text is None or len(text) > 40:
        return None
    query = re.sub(r"^\s*查(一下|询|查)?|法条|条文|法律规定|的规定|有关|关于|相关|哪条法律|什么法律规定|有哪些|规定", " ", text)
    query = query.strip()
    if not query:
        return TextReply("请告诉我要查什么，例如：“查 拖欠工资 法条”或“劳动合同法第八十二条”。")
    try:
        hits = await service.search_kb(query, limit=2)
        cites = [(s.split("》")[0].lstrip("《"), s.split("》")[1]) for h in hits for s in h.statutes][:3]
        views = await laws_service.get_cited(citations=cites)
        if not views:
            words = await asyncio.to_thread(laws_service.terms, query)  # jieba: off the event loop
            views = await laws_service.search(words=words, limit=3)
    except Exception:  # no corpus loaded: let the consultation answer
        metrics.caught("consult.law_search", log, "law search unavailable", level=logging.INFO)
        return None
    if not views:
        return TextReply(f"没有找到与“{query}”有关的法条，可以换个词再查，或拨打 12348 咨询。")
    per = max(150, 1500 // len(views) // 3)
    body = "\n\n".join(v.as_text(max_chars=per) for v in views)
    return TextReply(f"与“{query}”有关的法条：\n{body}\n\n具体适用请咨询律师或拨打 12348。")


@router.fallback_text
async def consult(inbound: Inbound) -> Reply | None:
    """Every other text: the consultation."""
    text = _text(inbound)
    if text is None:
        return None
    return await _answer(inbound, text)
