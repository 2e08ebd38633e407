"""The consultation: ask (understand, answer, route, hand over), search_kb for staff, hot_topics."""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from app.config import get_settings
from app.consult import llm
from app.consult.engine import Engine, current
from app.consult.engine import warm_up as _warm_engine
from app.consult.hours import when_text
from app.consult.intents import REPLIES, detect_intent
from app.consult.kb import CATEGORIES, SERVICES, Entry, SignoffRow, Statute, signoff_status
from app.consult.models import Consultation
from app.consult.retrieval import Hit
from app.consult.safety import green_channel
from app.core import afterreply, events, metrics, pii, pii_text, ratelimit
from app.core.clock import format_local, to_local, utcnow
from app.core.scope import OrgScope
from app.db import insert_row
from app.errors import FawuError
from app.org import service as org_service
from app.wechat import service as wechat_service

log = logging.getLogger("fawu.consult")


class ConsultError(FawuError):
    code = "consult_error"
    message_zh = "咨询暂时无法处理，请稍后再试或拨打 12348。"


class EmptyQuestion(ConsultError):
    code = "consult_empty"
    message_zh = "请输入您要咨询的问题。"
    status = 422


# Which short labels the clarifying question offers (by category).
CHOICE_LABELS: dict[str, str] = {
    "labor": "劳动工资", "marriage_family": "婚姻家庭", "inheritance": "继承遗产", "debt_contract": "借钱欠债合同",
    "traffic": "交通事故", "property_land": "房子土地拆迁", "consumer": "消费维权", "tort_neighbour": "邻里侵权",
    "medical": "医疗纠纷", "criminal": "刑事报案", "administrative": "政府部门信访", "legal_aid": "法律援助",
    "mediation": "调解", "notarization": "公证", "other": "其他",
}
DEFAULT_CHOICES = ["labor", "marriage_family", "debt_contract", "traffic", "property_land", "inheritance",
                   "consumer", "tort_neighbour"]
MAX_CHOICES = 6
TITLES_FLOOR = 0.3  # an unsure answer whose best entry scores at least this offers two titles, not a category menu
ENTRY_CHOICE = "entry:"  # a clarify code that names an entry (two close candidates) rather than a category
HANDOFF_RE = re.compile(r"转人工|人工客服|人工服务|找人工|要人工|接人工|转接人工|真人|找工作人员|^\s*人工\s*$")


@dataclass
class AnswerRef:
    id: str
    title: str
    score: float


@dataclass
class Answer:
    """What the engine decided for one question."""

    category: str
    answers: list[AnswerRef]
    handoff: bool
    reply: str
    urgent: bool = False
    clarify: list[str] | None = None
    confidence: float = 0.0
    clarify_codes: list[str] | None = None
    handoff_reason: str | None = None
    phrased: bool = False
    intent: str | None = None  # danger, handoff, advisor, progress, greeting, thanks, ack, abuse, non_legal
    two_issues: bool = False
    entries: list[Entry] = field(default_factory=list, repr=False)
    statutes: list[Statute] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("entries", None)
        d["statutes"] = [s.cite() for s in self.statutes]
        d["category_name"] = CATEGORIES.get(self.category, "")
        return d


@dataclass(frozen=True)
class KbHit:
    id: str
    title: str
    answer: str
    statutes: list[str]
    category: str
    score: float


def clarify_question(ranking: list[tuple[str, float]]) -> tuple[str, list[str], list[str]]:
    """The clarifying question with numbered quick choices: (text, codes, labels)."""
    codes = [c for c, _p in ranking if c != "other" and _p > 0][:3]
    for c in DEFAULT_CHOICES:
        if len(codes) >= MAX_CHOICES:
            break
        if c not in codes:
            codes.append(c)
    labels = [CHOICE_LABELS[c] for c in codes]
    menu = " ".join(f"{i} {label}" for i, label in enumerate(labels, start=1))
    text = (f"为了更准确地回答，请问您问的是哪一类？回复数字：{menu}\n"
            "也可以换个说法再说一遍，或回复“转人工”由工作人员解答。")
    return text, codes, labels


def _fit(text: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    out = text.encode("utf-8")[: max_bytes - 6].decode("utf-8", errors="ignore")
    return out + "……"


async def next_step(service: str, *, community_code: str | None, township_code: str | None,
                    brief: bool = False, category: str | None = None) -> list[str]:
    """The next step for the matter and the resident's community: service, advisor, station, 12348
    (``brief``: the service and the advisor only, for a reply that must fit a phone screen)."""
    lines = [f"下一步：{SERVICES.get(service, SERVICES['hotline'])}。"]
    unit = community_code or township_code
    if unit:
        try:
            if community_code:
                advisors = await org_service.advisors_of(community_code)
                if advisors:
                    a = advisors[0]
                    firm = f"（{a.firm}）" if a.firm else ""
                    lines.append(f"您所在村（社区）的法律顾问：{a.name}{firm}，电话 {a.phone}。")
            if not brief:
                points = await org_service.service_points_for(unit)
                station = next((p for p in points if p.kind == "station"), None) or (points[0] if points else None)
                if station is not None:
                    phone = f"，电话 {station.phone}" if station.phone else ""
                    lines.append(f"就近服务点：{station.name}（{station.address}{phone}）。")
        except Exception:  # the org tree is optional here (CLI without database): the hotline still shows
            metrics.caught("consult.next_step", log, "no org data for the next step", level=logging.DEBUG)
    if not brief:  # the full answer also links the catalogue's guide to the service (catalog subscribes)
        try:
            for extra in await events.gather("consult.next_step_links_requested", service=service,
                                             category=category):
                lines.extend(extra or [])
        except events.NotWired:  # the engine alone (fawu ask): no other domain to ask
            pass
        lines.append(f"也可拨打 {get_settings().hotline} 公共法律服务热线咨询。")
    return lines


async def advisor_card(*, community_code: str | None, township_code: str | None = None) -> str:
    """The resident's community legal advisor (as the welcome text promises), or how to find them."""
    hotline = get_settings().hotline
    if community_code:
        try:
            advisors = await org_service.advisors_of(community_code)
            if advisors:
                a = advisors[0]
                firm = f"（{a.firm}）" if a.firm else ""
                return (f"您所在村（社区）的法律顾问：{a.name}{firm}，电话 {a.phone}。可以直接打电话预约当面咨询；"
                        f"也可以在这里直接问我，或拨打 {hotline}。")
        except Exception:  # no org data (CLI without database): how to find the advisor instead
            metrics.caught("consult.advisor", log, "no advisor found", level=logging.DEBUG)
    return ("还不知道您所在的村（社区）。请扫一扫小区楼道或村务公开栏里“公共法律服务公示牌”上的二维码，"
            f"我们会告诉您所在社区的法律顾问和电话；也可以拨打 {hotline} 公共法律服务热线。")


async def progress_reply(*, resident_id: int | None, account_key: str | None, openid: str | None) -> str:
    """"查进度": the front desk answers the event ``consult.progress_requested`` with the resident's
    cases and their state; without an answer, the generic reply. An unknown asker (``fawu ask``,
    the evaluation: no resident, no account) has no cases to look up: the generic reply at once,
    without asking the front desk (which needs the database)."""
    if resident_id is None and not (account_key and openid):
        return REPLIES["progress"]
    for answer in await events.gather("consult.progress_requested", resident_id=resident_id,
                                      account_key=account_key, openid=openid):
        if isinstance(answer, dict) and answer.get("reply"):
            return str(answer["reply"])
    return REPLIES["progress"]


UNDERSTOOD_MAX = 4096
_MEMO: dict[str, OrderedDict[Any, tuple[Any, Any]]] = {}


def _memo(name: str, owner: Any, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered for the last 4,096 keys of ``name`` while ``owner`` (the engine, the gate)
    is the same object. Only for functions of the question text and the engine, never of who asks or
    where (residents repeat the same questions and menu words; the reply around them is composed anew)."""
    store = _MEMO.setdefault(name, OrderedDict())
    k = (id(owner), key)
    got = store.get(k)
    if got is not None and got[0] is owner:
        store.move_to_end(k)
        return got[1]
    value = compute()
    store[k] = (owner, value)
    if len(store) > UNDERSTOOD_MAX:
        store.popitem(last=False)
    return value


def _understood(engine: Engine, text: str, limit: int) -> Any:
    """``engine.understand`` (a function of the text and the engine), remembered."""
    return _memo("understand", engine, (text, limit), lambda: engine.understand(text, limit=limit))


def danger_of(engine: Engine, text: str) -> Any:
    """``engine.gate.check(text)``, remembered (the WeChat callback asks it twice per message: the safety
    check before routing, then the answer)."""
    return _memo("danger", engine.gate, text, lambda: engine.gate.check(text))


def _pick(hits: list[Any], category: str, n: int = 3) -> list[Any]:
    inside = [h for h in hits if h.entry.category == category]
    rest = [h for h in hits if h.entry.category != category]
    return (inside + rest)[:n]


def warm_up() -> None:
    """Build (or load from the disk cache) the segmenter, the engine and the safety gate now (blocking:
    `fawu serve --workers N` calls it once before forking)."""
    _warm_engine()


async def ask(text: str, *, channel: str = "wechat", account_key: str | None = None,
              community_code: str | None = None, township_code: str | None = None,
              board_code: str | None = None, resident_id: int | None = None, record: bool = True,
              category: str | None = None, second_turn: bool = False, special_groups: list[str] | None = None,
              now: datetime | None = None, openid: str | None = None, client: str = "") -> Answer:
    """Answer one resident question: the safety gate first, then the intents (greeting, a person,
    the advisor...), then the knowledge base. ``category`` forces the category (after a clarifying
    choice); ``second_turn`` marks the answer to a clarifying question (still unclear → hand over);
    ``special_groups`` (the resident's, e.g. elderly, migrant_worker) bring the legal-aid note."""
    settings = get_settings()
    text = (text or "").strip()
    if not text:
        raise EmptyQuestion()
    engine = await current()
    answer = await _answer(engine, text, category=category, second_turn=second_turn,
                           community_code=community_code, township_code=township_code,
                           special_groups=special_groups, resident_id=resident_id, account_key=account_key,
                           openid=openid, max_bytes=settings.wechat_max_text_bytes)
    if not answer.urgent and record and resident_id is not None:
        # one resident's questions are limited (each is stored and counted); a resident in danger never
        await ratelimit.hit("consult_resident", "resident", str(resident_id))
    if record:  # on WeChat: after the reply is sent (app.core.afterreply); elsewhere now
        await afterreply.after_reply("consult.record", functools.partial(
            _record, text, answer, channel=channel, account_key=account_key, community_code=community_code,
            township_code=township_code, board_code=board_code, resident_id=resident_id, now=now, client=client))
    return answer


async def _answer(engine: Engine, text: str, *, category: str | None, second_turn: bool,
                  community_code: str | None, township_code: str | None, special_groups: list[str] | None,
                  resident_id: int | None, account_key: str | None, openid: str | None,
                  max_bytes: int) -> Answer:
    settings = get_settings()
    danger = danger_of(engine, text)
    if danger is not None:
        u = engine.understand(text)
        # emergency guidance first and alone: no menu, no article; staff see the category
        return Answer(category=u.decision.category, answers=[], handoff=True, reply=danger.guidance(), urgent=True,
                      confidence=u.decision.confidence, handoff_reason="urgent", intent="danger")
    intent = None if (category or second_turn) else _memo("intent", engine, text,
                                                           lambda: detect_intent(text, engine.intents))
    if intent is not None:
        answer = Answer(category="other", answers=[], handoff=False, reply="", confidence=1.0, intent=intent.name)
        if intent.name == "handoff":
            answer.handoff, answer.handoff_reason = True, "asked"
            answer.reply = "好的，正在为您转人工服务。"
        elif intent.name == "advisor":
            answer.reply = await advisor_card(community_code=community_code, township_code=township_code)
        elif intent.name == "progress":
            answer.reply = await progress_reply(resident_id=resident_id, account_key=account_key, openid=openid)
        else:
            answer.reply = REPLIES[intent.name]
        return answer
    u = _understood(engine, text, 100 if category else 10)
    decided = category or u.decision.category
    confidence = 1.0 if category else u.decision.confidence
    picked = _pick(u.hits, decided)
    if category and not any(h.entry.category == category for h in picked):
        picked = [Hit(e, 0.0) for e in engine.entries if e.category == category][:3] or picked
    refs = [AnswerRef(h.entry.id, h.entry.question, round(h.score, 3)) for h in picked]
    answer = Answer(category=decided, answers=refs, handoff=False, reply="", confidence=confidence,
                    entries=[h.entry for h in picked])
    if confidence < settings.consult_confidence_threshold or not picked:
        if second_turn:
            answer.handoff = True
            answer.handoff_reason = "unclear"
            answer.reply = "抱歉，这个问题我还不能准确回答，已请工作人员为您解答。"
        elif len(picked) > 1 and picked[0].score >= TITLES_FLOOR:
            _offer_titles(answer, picked[0].entry, picked[1].entry)  # two likely entries, not a category menu
        else:
            q, codes, labels = clarify_question(u.decision.ranking)
            answer.clarify, answer.clarify_codes, answer.reply = labels, codes, q
            answer.answers, answer.entries = [], []  # nothing fits well enough to name
        return answer
    if u.close and not category and not second_turn:
        _offer_titles(answer, picked[0].entry, picked[1].entry)
        return answer
    if u.second_issue is not None and not category and u.second_issue.entry.id != answer.entries[0].id:
        other = u.second_issue.entry
        answer.entries = [answer.entries[0], other, *(e for e in answer.entries[1:] if e.id != other.id)][:3]
        answer.answers = [answer.answers[0], AnswerRef(other.id, other.question, u.second_issue.score),
                          *(r for r in answer.answers[1:] if r.id != other.id)][:3]
        answer.two_issues = True
    side = picked[0].entry.side if picked[0].entry.side != "any" else (u.sides[0] if u.sides else "any")
    if u.sides and u.sides[0] == "offender":
        side = "offender"
    answer.statutes = list(_memo("statutes", engine, (text, tuple(e.id for e in answer.entries)),
                                 lambda: engine.decisive_articles(text, [Hit(e, 0.0) for e in answer.entries])))
    answer.reply = await _compose(text, answer, community_code=community_code, township_code=township_code,
                                  max_bytes=max_bytes, special_groups=special_groups, side=side,
                                  exists=engine.article_exists)
    return answer


def _offer_titles(answer: Answer, a: Entry, b: Entry) -> None:
    """Ask which of two entries the resident means (their titles, numbered), instead of guessing."""
    answer.clarify = [a.question, b.question]
    answer.clarify_codes = [ENTRY_CHOICE + a.id, ENTRY_CHOICE + b.id]
    answer.reply = (f"您问的是哪一个？回复 1 看「{a.question}」；回复 2 看「{b.question}」。"
                    "都不是请换个说法，或回复“转人工”。")


GROUP_WORDS = {"elderly": "老年人", "disabled": "残疾人", "migrant_worker": "农民工", "minor": "未成年人",
               "domestic_violence": "家暴"}
GIST_CHARS = 150
REPLY_CHARS = 600


def gist_of(entry: Entry) -> str:
    """The decisive point: the entry's gist, else its answer's first sentences up to 150 characters."""
    if entry.gist:
        return entry.gist
    lead = ""
    for sentence in re.split(r"(?<=[。！？；])", entry.answer.replace("\n", "")):
        sentence = sentence.strip()
        if not sentence:
            continue
        if lead and len(lead) + len(sentence) > GIST_CHARS:
            break
        lead += sentence
        if len(lead) >= 60:
            break
    return lead[:GIST_CHARS].rstrip("，、") if len(lead) > GIST_CHARS else lead


def cite_list(statutes: list[Statute]) -> str:
    return "、".join(s.short_cite() for s in statutes[:3])


async def _compose(text: str, answer: Answer, *, community_code: str | None, township_code: str | None,
                   max_bytes: int, special_groups: list[str] | None = None, side: str = "any",
                   exists: Callable[[str, str], bool] | None = None) -> str:
    """A reply for a phone: the decisive point first, at most three articles, the next step, ≤ ~600 characters;
    the whole answer on request ("详细")."""
    settings = get_settings()
    best = answer.entries[0]
    statutes = answer.statutes or best.statutes[:3]
    body = None
    if settings.consult_llm_url:
        phrased = await llm.phrase(text, answer.entries[:3], settings=settings, exists=exists)
        if phrased is not None:
            answer.phrased = True
            if phrased.choice:  # the model re-ranked: its choice first
                k = phrased.choice
                answer.entries.insert(0, answer.entries.pop(k))
                answer.answers.insert(0, answer.answers.pop(k))
                best = answer.entries[0]
            body = f"【{best.question}】\n{phrased.text}"
    if body is None:
        body = f"【{best.question}】\n{gist_of(best)}"
        if answer.two_issues and len(answer.entries) > 1:
            other = answer.entries[1]
            body += f"\n另外，【{other.question}】{gist_of(other)}"
        if statutes:
            body += f"\n法律依据：{cite_list(statutes)}"
    tail = await next_step(best.service, community_code=community_code, township_code=township_code, brief=True)
    hints = " ".join(GROUP_WORDS.get(g, "") for g in special_groups or [])
    green = green_channel(f"{text} {hints}", answer.category, side=side)
    if green:
        tail.append(green)
    more = "回复“详细”看完整解答"
    others = [e.question for e in answer.entries[1:2]] if not answer.two_issues else []
    if others:
        more += "；相关问题：" + "；".join(f"回复 {i} 看「{q}」" for i, q in enumerate(others, start=1))
    tail.append(f"{more}；回复“转人工”找工作人员，或拨打 {settings.hotline}。")
    tail_text = "\n".join(tail)
    room = min(REPLY_CHARS - len(tail_text) - 2, 2 * max_bytes // 3)
    if len(body) > room:
        body = body[:max(room - 2, 120)].rstrip("，、") + "……"
    return body + "\n" + tail_text


async def detail_reply(entry_id: str, *, community_code: str | None = None,
                       township_code: str | None = None) -> str | None:
    """The whole answer of an entry ("回复 详细"): answer, every article, next step and service point."""
    engine = await current()
    entry = engine.get(entry_id)
    if entry is None:
        return None
    cites = "、".join(s.cite() for s in entry.statutes)
    tail = await next_step(entry.service, community_code=community_code, township_code=township_code,
                           category=entry.category)
    body = f"【{entry.question}】\n{entry.answer}" + (f"\n法律依据：{cites}" if cites else "")
    max_bytes = get_settings().wechat_max_text_bytes
    tail_text = "\n".join(tail)
    room = 2 * max_bytes - len(tail_text.encode("utf-8")) - 4
    return _fit(body, max(room, 300)) + "\n\n" + tail_text


async def _record(text: str, answer: Answer, *, channel: str, account_key: str | None, community_code: str | None,
                  township_code: str | None, board_code: str | None, resident_id: int | None,
                  now: datetime | None, client: str = "") -> None:
    if not client and resident_id is not None:
        client = pii.lookup_hash(f"resident:{resident_id}")[:24]
    question, question_enc = pii_text.protect(text[:2000])  # personal numbers masked, original encrypted
    if township_code is None and community_code:
        try:
            township_code = (await org_service.unit_info(community_code)).township_code
        except org_service.UnitNotFound:  # a stale community code: recorded without its township
            township_code = None
    try:
        await insert_row(Consultation, dict(  # every question: its SQL written once (app.db)
            question=question or "", question_enc=question_enc, category=answer.category,
            confidence=answer.confidence,
            answer_ids=",".join(a.id for a in answer.answers)[:300], township_code=township_code,
            community_code=community_code, board_code=board_code, channel=channel, account_key=account_key,
            resident_id=resident_id, client=client, handoff=answer.handoff, urgent=answer.urgent,
            clarified=answer.clarify is not None, created_at=now or utcnow(),
        ))
    except Exception:  # never lose the answer because the log failed
        metrics.caught("consult.record", log, "consultation not recorded")


async def answer_entry(entry_id: str, *, text: str = "", community_code: str | None = None,
                       township_code: str | None = None, special_groups: list[str] | None = None) -> Answer | None:
    """The answer of one knowledge-base entry (a resident picked a related question); None if gone."""
    settings = get_settings()
    engine = await current()
    entry = engine.get(entry_id)
    if entry is None:
        return None
    answer = Answer(category=entry.category, answers=[AnswerRef(entry.id, entry.question, 0.0)], handoff=False,
                    reply="", confidence=1.0, entries=[entry])
    answer.statutes = engine.decisive_articles(text or entry.question, [Hit(entry, 0.0)])
    answer.reply = await _compose(text or entry.question, answer, community_code=community_code,
                                  township_code=township_code, max_bytes=settings.wechat_max_text_bytes,
                                  special_groups=special_groups)
    return answer


@dataclass
class HandOver:
    case_id: int | None
    case_number: str | None
    reply: str


def case_type_for(category: str) -> str:
    return {"legal_aid": "legal_aid", "mediation": "mediation"}.get(category, "consultation")


async def recent_matter(*, resident_id: int | None, hours: int = 24, limit: int = 3) -> tuple[list[str], str | None]:
    """What the resident described before asking for a person (the consultation log): their last
    few questions that are not themselves a request for a person, and the category the engine was
    surest of among them."""
    if resident_id is None:
        return [], None
    since = utcnow() - timedelta(hours=hours)
    rows = await Consultation.filter(resident_id=resident_id, created_at__gte=since).order_by("-created_at").limit(20)
    asked = [r for r in rows if not HANDOFF_RE.search(r.question) and len(r.question.strip()) > 3]
    picked = list(reversed(asked[:limit]))
    sure = [r for r in asked[:limit] if r.category != "other"]
    category = max(sure, key=lambda r: r.confidence).category if sure else None
    return [r.question for r in picked], category


async def hand_over(*, text: str, category: str, urgent: bool = False, resident_id: int | None,
                    channel: str = "wechat", account_key: str | None = None, openid: str | None = None,
                    community_code: str | None = None, township_code: str | None = None,
                    board_code: str | None = None, conversation: list[dict[str, Any]] | None = None,
                    now: datetime | None = None, source_ref: str | None = None) -> HandOver:
    """Hand the resident to staff: publishes ``consult.handed_over`` with the matter they described
    (the consultation log, never the words that asked for a person); the cases domain opens a case,
    or joins the one already open, and answers its number. The reply tells the resident what next. A
    failed hand-over is counted and logged as an error, and the resident is pointed to the hotline.
    ``source_ref`` (the inbound message) makes it idempotent: a hand-over run twice opens one case."""
    settings = get_settings()
    now = now or utcnow()
    if conversation is None and account_key and openid:
        try:
            conversation = await wechat_service.conversation(account_key=account_key, openid=openid, limit=50)
        except Exception:  # the case opens with the question alone
            metrics.caught("consult.conversation", log, "conversation not attached", level=logging.WARNING)
    if conversation is None:
        conversation = [{"role": "resident", "text": text, "at": now.isoformat()}]
    matter, logged = await recent_matter(resident_id=resident_id)
    asking = bool(HANDOFF_RE.search(text))
    if not asking and text.strip() and text.strip() not in matter:
        matter.append(text.strip())
    chosen = (logged if (asking or category == "other") and logged else category) or "other"
    summary = f"[{CATEGORIES.get(chosen, '其他')}] {'；'.join(matter) or text}"[:500]
    try:
        answers = await events.publish(
            "consult.handed_over", case_type=case_type_for(chosen), summary=summary, category=chosen,
            urgent=urgent, resident_id=resident_id, channel=channel, account_key=account_key, openid=openid,
            community_code=community_code, township_code=township_code, board_code=board_code,
            conversation=conversation, matter=matter, asked=text if asking else "", source_ref=source_ref)
        opened = next((a for a in answers if a and a.get("case_number")), None)
        if opened is None:
            raise LookupError("no subscriber of consult.handed_over opened a case")
    except Exception:  # the resident must get an answer: the hotline, and staff see the error and metric
        metrics.caught("consult.hand_over", log, "hand-over failed, resident pointed to the hotline")
        return HandOver(None, None, f"暂时无法为您转接工作人员，请直接拨打 {settings.hotline} 公共法律服务热线。")
    number = str(opened["case_number"])
    if opened.get("joined"):  # one matter, one case: the open one was joined
        when = ("已标记为紧急，工作人员将优先处理；紧急情况请先拨打 110" if urgent else
                "已再次提醒工作人员尽快联系您，请耐心等待")
        return HandOver(opened.get("case_id"), number, f"您的事项（编号 {number}）正在办理中，{when}。"
                                                       "补充情况可直接回复，回复“查进度”可查看进展")
    if urgent:
        when = f"工作人员将优先处理并尽快联系您；紧急情况请先拨打 110，或拨打 {settings.hotline}"
    else:
        when = when_text(settings.staff_hours, now)
    reply = f"已为您转人工服务，编号 {number}。{when}。"
    return HandOver(opened.get("case_id"), number, reply)


def category_labels() -> dict[str, str]:
    """Matter category code (the 15 of the knowledge base) → its Chinese label."""
    return dict(CATEGORIES)


async def search_kb(query: str, *, limit: int = 5) -> list[KbHit]:
    """Knowledge-base entries for a query (staff quick replies)."""
    if not query.strip():
        return []
    u = (await current()).understand(query, limit=limit)
    return [KbHit(h.entry.id, h.entry.question, h.entry.answer, [s.cite() for s in h.entry.statutes],
                  h.entry.category, round(h.score, 3)) for h in u.hits[:limit]]


async def kb_signoff_status() -> list[SignoffRow]:
    """Per category, the entries a lawyer has signed off and those still awaiting a sign-off."""
    engine = await current()  # built or checked in a thread, never on the event loop
    return signoff_status(engine.entries)


async def hot_topics(*, scope: OrgScope, weeks: int = 8) -> list[dict[str, Any]]:
    """Consultations counted by category, township and week (Monday, local date), newest week first."""

    since = utcnow() - timedelta(weeks=weeks)
    qs = scope.apply(Consultation.filter(created_at__gte=since), "township_code", "community_code")
    rows = await qs.values_list("id", "client", "category", "township_code", "created_at")
    counts: Counter[tuple[str, str | None, str]] = Counter()
    seen: set[tuple[str, str | None, str, str]] = set()
    for row_id, client, cat, township, at in rows:
        local = to_local(at).date()
        monday = local - timedelta(days=local.weekday())
        # one client asking about one subject in a week counts once (rows without a client: each)
        who = client or f"#{row_id}"
        if (cat, township, monday.isoformat(), who) in seen:
            continue
        seen.add((cat, township, monday.isoformat(), who))
        counts[(cat, township, monday.isoformat())] += 1
    out = [{"category": c, "category_name": CATEGORIES.get(c, c), "township": t, "week": w, "count": n}
           for (c, t, w), n in counts.items()]
    out.sort(key=lambda d: (d["week"], d["count"]), reverse=True)
    return out


async def count_by_board(*, board_codes: list[str] | None = None, since: datetime | None = None,
                         until: datetime | None = None) -> dict[str, int]:
    """Clients who consulted after a board scan, by board code (for the scan analytics): one client
    asking again and again counts once per board (rows without a client: each)."""

    qs = Consultation.filter(board_code__isnull=False)
    if board_codes is not None:
        qs = qs.filter(board_code__in=board_codes)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    who: dict[str, set[str]] = {}
    for row_id, board, client in await qs.values_list("id", "board_code", "client"):
        if board:
            who.setdefault(board, set()).add(client or f"#{row_id}")
    return {board: len(clients) for board, clients in who.items()}


GROUPABLE = ("township_code", "community_code", "category", "channel")


async def topic_counts(*, since: datetime, until: datetime, by: tuple[str, ...]) -> list[dict[str, Any]]:
    """Consultations in [since, until) grouped by ``by`` (of GROUPABLE; () for the total), counted by the database (for the
    analytics rollup): ``consultations`` (rows) and ``residents`` (distinct clients; a row without a
    client counts as one resident of its own). Missing codes come back as ""."""

    if any(f not in GROUPABLE for f in by):
        raise ValueError(f"group by some of {GROUPABLE}, got {by!r}")
    qs = (Consultation.filter(created_at__gte=since, created_at__lt=until)
          .annotate(n=Count("id"), distinct_clients=Count("client", distinct=True),
                    anonymous=Count("id", _filter=Q(client=""))))
    rows = await (qs.group_by(*by) if by else qs).values(*by, "n", "distinct_clients", "anonymous")
    out = []
    for r in rows:
        if not r["n"]:
            continue
        anon = int(r["anonymous"] or 0)
        # COUNT(DISTINCT client) counts "" once when anonymous rows exist: they count one each instead
        residents = int(r["distinct_clients"] or 0) - (1 if anon else 0) + anon
        out.append({**{f: (r[f] or "") for f in by}, "consultations": int(r["n"]), "residents": residents})
    return out


async def questions_for(*, since: datetime, until: datetime, category: str | None = None,
                        township_code: str | None = None, community_code: str | None = None,
                        limit: int = 20) -> list[dict[str, Any]]:
    """The (masked) questions behind a figure, newest first: the evidence of an early warning. The text
    is the stored masked form (personal numbers hidden); erased or purged questions read as such.
    ``client`` is the keyed hash that counts one client once (never a name or an openid)."""

    qs = Consultation.filter(created_at__gte=since, created_at__lt=until)
    if category:
        qs = qs.filter(category=category)
    if township_code:
        qs = qs.filter(township_code=township_code)
    if community_code:
        qs = qs.filter(community_code=community_code)
    rows = await qs.order_by("-created_at", "-id").limit(limit).values(
        "id", "question", "category", "township_code", "community_code", "channel", "client", "created_at",
        "resident_id")
    return [{**r, "township_code": r["township_code"] or "", "community_code": r["community_code"] or ""}
            for r in rows]


async def questions_of(*, resident_id: int) -> list[dict[str, Any]]:
    """The questions a resident asked (their access request), oldest first."""
    rows = await Consultation.filter(resident_id=resident_id).order_by("created_at", "id")
    return [{"question": pii_text.reveal(c.question, c.question_enc), "category": c.category,
             "channel": c.channel, "at": format_local(c.created_at)} for c in rows]


async def erase_resident(*, resident_id: int) -> int:
    """Erase the questions a resident asked (删除权); category and counts stay for hot topics."""

    return int(await Consultation.filter(resident_id=resident_id).update(question="（已删除）", question_enc=None,
                                                                          resident_id=None))


async def purge_questions(*, before: datetime) -> int:
    """Clear the text of questions older than ``before`` (retention); counts stay for hot topics."""

    return int(await Consultation.filter(created_at__lt=before).exclude(question="（已清除）").update(
        question="（已清除）", question_enc=None))
