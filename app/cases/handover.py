"""Hand-over from the bot or a web form to staff (转人工), one matter one case, and what a resident
asks about their cases (查进度/我的事项).

``open_or_join_handover`` is idempotent for the resident: while they have an open case, asking for
a person again joins it (and an urgent one makes it urgent) instead of opening a second case. The
case's category and summary come from the matter described earlier (``matter``), never from the
words that asked for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.cases import notices
from app.cases.base import CaseNotFound, _event, protected_text
from app.cases.models import CATEGORY_ZH, OPEN_STATUSES, STATUS_ZH, TYPE_ZH, Case, CaseMessage
from app.core.clock import format_local, utcnow


@dataclass
class HandOverResult:
    """The case a hand-over landed on; ``joined`` when it was already open."""

    case: Case
    joined: bool


def case_type_for(category: str | None) -> str:
    return {"legal_aid": "legal_aid", "mediation": "mediation"}.get(category or "", "consultation")


async def open_case_of(*, resident_id: int | None = None, account_key: str | None = None,
                       openid: str | None = None) -> Case | None:
    """The resident's open case (urgent first, then the newest), by resident or by WeChat identity."""
    cond = Q(id=-1)
    if resident_id is not None:
        cond |= Q(resident_id=resident_id)
    if account_key and openid:
        cond |= Q(account_key=account_key, openid=openid)
    return await Case.filter(cond, status__in=list(OPEN_STATUSES)).order_by("-urgent", "-opened_at").first()


def _open_case_sql() -> str:
    """``open_case_of`` as a scalar subquery over ``resident_account`` (an identity fact of the WeChat
    callback): the id of some open case of that resident or WeChat identity, NULL when there is none."""
    table = Case._meta.db_table
    statuses = ",".join(f"'{getattr(s, 'value', s)}'" for s in OPEN_STATUSES)
    return (f"COALESCE((SELECT c.id FROM {table} c WHERE c.resident_id = resident_account.resident_id "
            f"AND c.status IN ({statuses}) LIMIT 1), (SELECT c.id FROM {table} c WHERE c.account_key = "
            f"resident_account.account_key AND c.openid = resident_account.openid AND c.status IN ({statuses}) "
            "LIMIT 1))")


OPEN_CASE_SQL = _open_case_sql()


def summary_of(matter: list[str], category: str | None) -> str:
    """The case summary: the category and what the resident described (latest last)."""
    text = "；".join(dict.fromkeys(t.strip() for t in matter if t and t.strip()))
    return f"[{CATEGORY_ZH.get(category or 'other', '其他')}] {text}"[:500]


async def open_or_join_handover(*, resident_id: int | None, channel: str, matter: list[str],
                                category: str | None, asked: str = "", urgent: bool = False,
                                account_key: str | None = None, openid: str | None = None,
                                community_code: str | None = None, township_code: str | None = None,
                                board_code: str | None = None, conversation: list[dict[str, Any]] | None = None,
                                contact_consent: bool = False, source_ref: str | None = None) -> HandOverResult:
    """Hand the resident over to staff. ``matter``: what they described before asking (the
    consultation log), ``category`` its category; ``asked``: the words that asked for a person
    (kept in the conversation only). Joins the open case if there is one. ``source_ref`` (the inbound
    message): the same hand-over run again by crash recovery gives the same case, nothing added."""
    # function-level: service.py re-exports this module (a cycle at import time)
    from app.cases import service

    if source_ref is not None:
        again = await Case.get_or_none(source_ref=source_ref)
        if again is not None:
            return HandOverResult(again, False)
    existing = await open_case_of(resident_id=resident_id, account_key=account_key, openid=openid)
    if existing is not None:
        await _join(existing, asked=asked, urgent=urgent)
        if urgent and not existing.urgent:
            existing = await service.mark_urgent(case_id=existing.id, reason="居民再次求助，涉及人身安全")
        return HandOverResult(existing, True)
    matter = [m for m in matter if m and m.strip()] or [asked or "居民请求人工服务"]
    category = category if category in CATEGORY_ZH else "other"
    case = await service.open_case(
        type=case_type_for(category), resident_id=resident_id, channel=channel,
        summary=summary_of(matter, category), category=category, township_code=township_code,
        community_code=community_code, board_code=board_code, account_key=account_key, openid=openid,
        conversation=conversation, urgent=urgent, source="bot_handoff" if channel != "web" else "web_form",
        contact_consent=contact_consent, source_ref=source_ref)
    return HandOverResult(case, False)


async def _join(case: Case, *, asked: str, urgent: bool) -> None:
    """A second request for a person on the open case: in the conversation and the history, and
    the owner (or the unit) is alerted again."""
    async with in_transaction() as conn:
        msg = None
        if asked.strip():
            msg = await CaseMessage.create(case_id=case.id, role="resident", **protected_text(asked.strip()),
                                           at=utcnow(), using_db=conn)
        await _event(case, "handover_again", None, conn=conn, detail={"urgent": urgent})
        await notices.notify(case, "message", staff_ids=await notices.recipients(case),
                             key=f"again:{case.id}:{msg.id if msg else utcnow().timestamp():.0f}"[:64],
                             text=f"{case.number} 居民再次请求人工服务", conn=conn)


async def resident_cases(*, resident_id: int | None = None, account_key: str | None = None,
                         openid: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """The resident's cases for "查进度/我的事项": open ones first, then those finished in the last
    90 days; number, category, status, who handles it, deadline, last reply or result."""
    cond = Q(id=-1)
    if resident_id is not None:
        cond |= Q(resident_id=resident_id)
    if account_key and openid:
        cond |= Q(account_key=account_key, openid=openid)
    since = utcnow() - timedelta(days=90)
    rows = await Case.filter(cond).filter(Q(status__in=list(OPEN_STATUSES)) | Q(opened_at__gte=since)).order_by(
        "-opened_at").limit(limit * 2)
    rows.sort(key=lambda c: (c.status not in OPEN_STATUSES, not c.urgent))
    out: list[dict[str, Any]] = []
    for c in rows[:limit]:
        out.append({
            "number": c.number, "category": CATEGORY_ZH.get(c.category or "other", "其他"),
            "status": c.status.value if hasattr(c.status, "value") else str(c.status),
            "status_zh": STATUS_ZH.get(c.status, str(c.status)), "open": c.status in OPEN_STATUSES,
            "handler": "已有工作人员负责" if c.owner_id else "等待工作人员接办",
            "deadline": format_local(c.deadline_at) if c.status in OPEN_STATUSES and c.deadline_at else "",
            "result": c.result_text or "",
            "type": c.type, "type_zh": TYPE_ZH.get(c.type, c.type), "opened_at": format_local(c.opened_at),
        })
    return out


async def resident_case(*, resident_id: int, number: str) -> dict[str, Any]:
    """One of the resident's own cases by number, for the mini-program's "我的事项" detail: state,
    result, and the conversation the resident may see (never staff notes). Another resident's case and
    an unknown number give the same CaseNotFound, so numbers cannot be probed."""
    case = await Case.get_or_none(number=number[:24], resident_id=resident_id)
    if case is None:
        raise CaseNotFound()
    rows = await CaseMessage.filter(case_id=case.id, role__in=["resident", "bot", "staff"]).order_by("at", "id")
    return {
        "number": case.number, "type": case.type, "type_zh": TYPE_ZH.get(case.type, case.type),
        "category": CATEGORY_ZH.get(case.category or "other", "其他"), "summary": case.summary,
        "status": str(case.status.value if hasattr(case.status, "value") else case.status),
        "status_zh": STATUS_ZH.get(case.status, str(case.status)), "open": case.status in OPEN_STATUSES,
        "handler": "已有工作人员负责" if case.owner_id else "等待工作人员接办",
        "deadline": format_local(case.deadline_at) if case.status in OPEN_STATUSES and case.deadline_at else "",
        "opened_at": format_local(case.opened_at), "result": case.result_text or "",
        "result_at": format_local(case.result_at) if case.result_at else "", "rating": case.rating or "",
        "messages": [{"role": m.role, "text": "" if m.scrubbed else m.text, "at": format_local(m.at)}
                     for m in rows],
    }


def progress_text(cases: list[dict[str, Any]]) -> str:
    """The reply to "查进度": one short paragraph per case, in Chinese."""
    if not cases:
        return "您目前没有在办的事项。如需咨询，请直接输入您的问题；需要工作人员帮助请回复“转人工”。"
    parts = ["您的事项办理情况："]
    for c in cases:
        line = f"· {c['number']}（{c['category']}）：{c['status_zh']}"
        if c["open"]:
            line += f"，{c['handler']}"
            if c["deadline"]:
                line += f"，承诺办结时间 {c['deadline']}"
        elif c["result"]:
            line += f"，结果：{c['result'][:60]}"
        parts.append(line)
    parts.append("如需补充情况，直接回复即可转给办理的工作人员。")
    return "\n".join(parts)


async def link_wechat(*, case_id: int, account_key: str, openid: str) -> Case:
    """Link a desk or hotline case to the resident's WeChat (they sent the code the clerk read out):
    replies and the result now go there."""
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).select_for_update().first()
        if case is None:
            raise CaseNotFound()
        case.account_key, case.openid = account_key, openid
        await case.save(using_db=conn)
        await _event(case, "bind_wechat", None, conn=conn, detail={"account_key": account_key})
    return case

