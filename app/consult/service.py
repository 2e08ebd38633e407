"""The consultation: ask (understand, answer, route, hand over), search_kb for staff, hot_topics."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.config import get_settings
from app.consult import llm
from app.consult.engine import get_engine
from app.consult.hours import when_text
from app.consult.kb import CATEGORIES, SERVICES, Entry, SignoffRow, signoff_status
from app.consult.models import Consultation
from app.consult.retrieval import Hit
from app.consult.safety import detect_danger, green_channel
from app.core import events, metrics, pii, pii_text, ratelimit
from app.core.clock import format_local, to_local, utcnow
from app.core.scope import OrgScope
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
    entries: list[Entry] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("entries", None)
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


async def next_step(service: str, *, community_code: str | None, township_code: str | None) -> list[str]:
    """The next step for the matter and the resident's community: service, advisor, station, 12348."""
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
            points = await org_service.service_points_for(unit)
            station = next((p for p in points if p.kind == "station"), None) or (points[0] if points else None)
            if station is not None:
                phone = f"，电话 {station.phone}" if station.phone else ""
                lines.append(f"就近服务点：{station.name}（{station.address}{phone}）。")
        except Exception:  # the org tree is optional here (CLI without database): the hotline still shows
            metrics.caught("consult.next_step", log, "no org data for the next step", level=logging.DEBUG)
    hotline = get_settings().hotline
    lines.append(f"也可拨打 {hotline} 公共法律服务热线咨询。")
    return lines


def _pick(hits: list[Any], category: str, n: int = 3) -> list[Any]:
    inside = [h for h in hits if h.entry.category == category]
    rest = [h for h in hits if h.entry.category != category]
    return (inside + rest)[:n]


async def ask(text: str, *, channel: str = "wechat", account_key: str | None = None,
              community_code: str | None = None, township_code: str | None = None,
              board_code: str | None = None, resident_id: int | None = None, record: bool = True,
              category: str | None = None, second_turn: bool = False, special_groups: list[str] | None = None,
              now: datetime | None = None, client: str = "") -> Answer:
    """Answer one resident question. ``category`` forces the category (after a clarifying choice);
    ``second_turn`` marks the answer to a clarifying question (still unclear → hand over);
    ``special_groups`` (the resident's, e.g. elderly, migrant_worker) bring the legal-aid green channel."""
    settings = get_settings()
    text = (text or "").strip()
    if not text:
        raise EmptyQuestion()
    engine = get_engine()
    u = engine.understand(text, limit=100 if category else 10)
    decided = category or u.decision.category
    confidence = 1.0 if category else u.decision.confidence
    picked = _pick(u.hits, decided)
    if category and not any(h.entry.category == category for h in picked):
        picked = [Hit(e, 0.0) for e in engine.entries if e.category == category][:3] or picked
    refs = [AnswerRef(h.entry.id, h.entry.question, round(h.score, 3)) for h in picked]
    answer = Answer(category=decided, answers=refs, handoff=False, reply="", confidence=confidence,
                    entries=[h.entry for h in picked])
    danger = detect_danger(text)
    if danger is None and record and resident_id is not None:
        # one resident's questions are limited (each is stored and counted); a resident in danger never
        await ratelimit.hit("consult_resident", "resident", str(resident_id))
    if danger is not None:
        answer.urgent = True
        answer.handoff = True
        answer.handoff_reason = "urgent"
        extra = f"\n关于您的问题，可参考：{picked[0].entry.question}" if picked else ""
        answer.reply = danger.guidance() + extra
    elif HANDOFF_RE.search(text):
        answer.handoff = True
        answer.handoff_reason = "asked"
        answer.reply = "好的，正在为您转人工服务。"
    elif confidence < settings.consult_confidence_threshold or not picked:
        if second_turn:
            answer.handoff = True
            answer.handoff_reason = "unclear"
            answer.reply = "抱歉，这个问题我还不能准确回答，已请工作人员为您解答。"
        else:
            q, codes, labels = clarify_question(u.decision.ranking)
            answer.clarify, answer.clarify_codes, answer.reply = labels, codes, q
    else:
        answer.reply = await _compose(text, answer, community_code=community_code, township_code=township_code,
                                      max_bytes=settings.wechat_max_text_bytes, special_groups=special_groups)
    if record:
        await _record(text, answer, channel=channel, account_key=account_key, community_code=community_code,
                      township_code=township_code, board_code=board_code, resident_id=resident_id, now=now,
                      client=client)
    return answer


GROUP_WORDS = {"elderly": "老年人", "disabled": "残疾人", "migrant_worker": "农民工", "minor": "未成年人",
               "domestic_violence": "家暴"}


async def _compose(text: str, answer: Answer, *, community_code: str | None, township_code: str | None,
                   max_bytes: int, special_groups: list[str] | None = None) -> str:
    settings = get_settings()
    best = answer.entries[0]
    body = None
    if settings.consult_llm_url:
        body = await llm.phrase(text, answer.entries[:3], settings=settings)
        answer.phrased = body is not None
    if body is None:
        cites = "、".join(s.cite() for s in best.statutes)
        body = f"【{best.question}】\n{best.answer}" + (f"\n法律依据：{cites}" if cites else "")
    tail = await next_step(best.service, community_code=community_code, township_code=township_code)
    hints = " ".join(GROUP_WORDS.get(g, "") for g in special_groups or [])
    green = green_channel(f"{text} {hints}", answer.category)
    if green:
        tail.insert(0, green)
    others = [e.question for e in answer.entries[1:3]]
    if others:
        tail.append("相关问题：" + "；".join(f"回复 {i} 看「{q}」" for i, q in enumerate(others, start=1)))
    tail_text = "\n".join(tail)
    # the WeChat engine splits a long reply into parts; keep the whole to about two messages
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
        await Consultation.create(
            question=question or "", question_enc=question_enc, category=answer.category,
            confidence=answer.confidence,
            answer_ids=",".join(a.id for a in answer.answers)[:300], township_code=township_code,
            community_code=community_code, board_code=board_code, channel=channel, account_key=account_key,
            resident_id=resident_id, client=client, handoff=answer.handoff, urgent=answer.urgent,
            clarified=answer.clarify is not None, created_at=now or utcnow(),
        )
    except Exception:  # never lose the answer because the log failed
        metrics.caught("consult.record", log, "consultation not recorded")


async def answer_entry(entry_id: str, *, text: str = "", community_code: str | None = None,
                       township_code: str | None = None, special_groups: list[str] | None = None) -> Answer | None:
    """The answer of one knowledge-base entry (a resident picked a related question); None if gone."""
    settings = get_settings()
    entry = get_engine().get(entry_id)
    if entry is None:
        return None
    answer = Answer(category=entry.category, answers=[AnswerRef(entry.id, entry.question, 0.0)], handoff=False,
                    reply="", confidence=1.0, entries=[entry])
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
    u = get_engine().understand(query, limit=limit)
    return [KbHit(h.entry.id, h.entry.question, h.entry.answer, [s.cite() for s in h.entry.statutes],
                  h.entry.category, round(h.score, 3)) for h in u.hits[:limit]]


async def kb_signoff_status() -> list[SignoffRow]:
    """Per category, the entries a lawyer has signed off and those still awaiting a sign-off."""
    engine = await asyncio.to_thread(get_engine)  # may (re)load the folder: off the event loop
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
