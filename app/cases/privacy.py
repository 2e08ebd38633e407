"""Residents' personal data on the case desk (个人信息保护法): masked views and audited reveals for staff in
scope, walk-in records; the cases' part of a resident's export, erasure and the retention purge (the
residents domain publishes those events; app.cases.subscribers answers them with the functions here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.cases.base import _load
from app.cases.models import BindCode, Case, CaseEvent, CaseMessage, TransferRequest
from app.core import pii, pii_text
from app.core.actor import FIELD_LEVEL, Actor
from app.core.clock import format_local, utcnow
from app.errors import Forbidden, NotFound
from app.residents import service as residents_service
from app.staff import service as staff_service

log = logging.getLogger("fawu.cases.privacy")
SCRUBBED = "[已按居民申请删除]"
PURGED = "[超过保存期限已清除]"


class ResidentNotVisible(NotFound):
    code = "resident_not_found"
    message_zh = "没有找到该居民。"


@dataclass
class ResidentView:
    """What the console shows of a resident: masked phone and ID number, cases in scope."""

    id: int
    name: str
    nickname: str
    phone_masked: str
    id_number_masked: str
    township_code: str | None
    community_code: str | None
    special_groups: list[str]
    erased: bool
    cases: list[Case] = field(default_factory=list)


async def _visible(actor: Actor, resident_id: int) -> tuple[Any, list[Case]]:
    try:
        r = await residents_service.get_resident(resident_id)
    except residents_service.ResidentNotFound:
        raise ResidentNotVisible() from None
    # 安全标记: a resident with a case labelled above the actor's clearance is out of their sight entirely
    if await Case.filter(resident_id=r.id, security_level__gt=actor.clearance).exists():
        raise ResidentNotVisible()
    cases = actor.scope.apply(Case.filter(resident_id=r.id), "township_code", "community_code")
    case_list = await cases.order_by("-opened_at")
    if not (case_list or actor.scope.allows_any(r.township_code, r.community_code)):
        raise ResidentNotVisible()
    return r, case_list


async def get_resident_view(*, actor: Actor, resident_id: int) -> ResidentView:
    """A resident as staff in scope see them (phone and ID masked); NotFound outside scope."""
    r, cases = await _visible(actor, resident_id)
    return ResidentView(
        id=r.id, name=r.name, nickname=r.nickname, phone_masked=residents_service.masked(r.phone_enc, "phone"),
        id_number_masked=residents_service.masked(r.id_number_enc, "id_number"), township_code=r.township_code,
        community_code=r.community_code, special_groups=list(r.special_groups or []),
        erased=r.erased_at is not None, cases=cases,
    )


async def record_view(*, actor: Actor, page: str, resident_id: int | None = None, case_id: int | None = None,
                      case_number: str = "", ip: str = "") -> None:
    """等保 audit of one page view of a resident's personal data (who viewed whom, which case, when, from
    where): a sealed entry ``resident.viewed`` aimed at the resident (``case.viewed`` when the case has
    none), so the audit administrator finds every view of one resident by its id."""
    detail: dict[str, Any] = {"page": page}
    if case_id is not None:
        detail["case_id"] = case_id
        detail["case_number"] = case_number
    if resident_id is not None:
        await staff_service.audit(actor=actor, action="resident.viewed", target_type="resident",
                                  target_id=resident_id, detail=detail, ip=ip)
    else:
        await staff_service.audit(actor=actor, action="case.viewed", target_type="case", target_id=case_id or "",
                                  detail=detail, ip=ip)


async def protected_residents(*, resident_ids: list[int | None], above: int) -> set[int]:
    """安全标记 beyond cases: the residents among these who have a case labelled above ``above`` (a reader's
    clearance). Their records in other domains (bookings, survey answers, questions to the bot) carry
    the same protection: names and words hidden from staff not cleared for the case."""
    ids = sorted({i for i in resident_ids if i})
    if not ids:
        return set()
    rows = await Case.filter(resident_id__in=ids, security_level__gt=above).values_list("resident_id", flat=True)
    return {int(str(r)) for r in rows if r is not None}


async def record_list_view(*, actor: Actor, page: str, cases: list[Any], ip: str = "") -> int:
    """等保 audit of a list of cases shown (the inbox): one ``resident.listed`` entry per resident shown
    (``case.listed`` for a case without one), found by the audit administrator with the resident's views."""
    shown: list[tuple[str, int | str]] = [("resident", c.resident_id) if c.resident_id else ("case", c.id)
                                          for c in cases]
    return await staff_service.audit_shown(actor=actor, page=page, shown=shown, ip=ip)


async def view_resident(*, actor: Actor, resident_id: int, ip: str = "") -> ResidentView:
    """``get_resident_view`` for a page: the view is audit-logged (only when the actor may see it)."""
    view = await get_resident_view(actor=actor, resident_id=resident_id)
    await record_view(actor=actor, page="resident", resident_id=view.id, ip=ip)
    return view


class RevealNotAllowed(Forbidden):
    code = "reveal_not_allowed"
    message_zh = "督导账号不能查看完整的手机号、身份证号或银行卡号。"


class ClearanceTooLow(Forbidden):
    code = "clearance_too_low"
    message_zh = "您的密级权限不足，不能查看该信息。"


def _cleared(actor: Actor, what: str) -> None:
    if not actor.cleared_for(FIELD_LEVEL[what]):
        raise ClearanceTooLow()


async def _reveal(actor: Actor, resident_id: int, what: str, reason: str, ip: str) -> str | None:
    if actor.read_only:
        raise RevealNotAllowed()
    _cleared(actor, what)
    r, _ = await _visible(actor, resident_id)
    await staff_service.audit(actor=actor, action=f"resident.reveal_{what}", target_type="resident",
                              target_id=r.id, detail={"reason": reason[:200]}, ip=ip)
    return residents_service.reveal(r, what)


async def reveal_phone(*, actor: Actor, resident_id: int, reason: str = "", ip: str = "") -> str | None:
    """The full phone number (to call the resident back); writes an audit entry."""
    return await _reveal(actor, resident_id, "phone", reason, ip)


async def reveal_id_number(*, actor: Actor, resident_id: int, reason: str = "", ip: str = "") -> str | None:
    """The full ID number (legal-aid checks); writes an audit entry."""
    return await _reveal(actor, resident_id, "id_number", reason, ip)


@dataclass
class RevealedText:
    """A case's free text as typed: the summary and the messages whose personal numbers were masked."""

    summary: str | None
    messages: dict[int, str]

    @property
    def count(self) -> int:
        return len(self.messages) + (self.summary is not None)


async def reveal_case_text(*, actor: Actor, case_id: int, reason: str = "", ip: str = "") -> RevealedText:
    """The personal numbers typed in a case's summary and messages, in full (to call back, to check
    an ID); audit-logged like the resident's fields. Not for read-only roles (supervisor)."""
    if actor.read_only:
        raise RevealNotAllowed()
    _cleared(actor, "case_text")
    case = await _load(actor, case_id)
    msgs = await CaseMessage.filter(case_id=case.id, text_enc__isnull=False).values_list("id", "text_enc")
    out = RevealedText(summary=pii.decrypt(case.summary_enc) if case.summary_enc else None,
                       messages={mid: pii.decrypt(enc) for mid, enc in msgs})
    await staff_service.audit(actor=actor, action="case.reveal_text", target_type="case", target_id=case.id,
                              detail={"reason": reason[:200], "texts": out.count}, ip=ip)
    return out


async def record_resident(*, actor: Actor, name: str, phone: str | None = None, id_number: str | None = None,
                          community_code: str | None = None, township_code: str | None = None) -> Any:
    """A resident met at the desk or on the hotline; found again by phone (keyed hash) when known."""
    r = await residents_service.record_resident(name=name, phone=phone, id_number=id_number,
                                                community_code=community_code, township_code=township_code)
    await staff_service.audit(actor=actor, action="resident.record", target_type="resident", target_id=r.id)
    return r


async def find_resident_by_phone(*, actor: Actor, phone: str) -> ResidentView | None:
    """Look a resident up by phone number (keyed hash, never a clear-text query)."""
    r = await residents_service.find_by_phone(phone)
    if r is None:
        return None
    try:
        return await get_resident_view(actor=actor, resident_id=r.id)
    except ResidentNotVisible:
        return None


# ---- the cases' part of the residents.* events ----

async def export_cases(*, resident_id: int) -> list[dict[str, Any]]:
    """The resident's cases: what was recorded, the history (who did what, why) and the messages
    they exchanged (internal notes left out)."""
    out = []
    for c in await Case.filter(resident_id=resident_id).order_by("opened_at"):
        msgs = await CaseMessage.filter(case_id=c.id).exclude(role="note").order_by("at", "id")
        events = await CaseEvent.filter(case_id=c.id).order_by("at", "id")
        out.append({  # as typed: personal numbers decrypted (it is the resident's own data)
            "number": c.number, "type": c.type, "category": c.category, "status": str(c.status.value),
            "summary": pii_text.reveal(c.summary, c.summary_enc), "channel": c.channel,
            "opened_at": format_local(c.opened_at),
            "deadline_at": format_local(c.deadline_at), "urgent": c.urgent, "contact_consent": c.contact_consent,
            "wechat": {"account_key": c.account_key, "openid": c.openid} if c.openid else None,
            "result": c.result_text, "result_delivery": c.result_delivery, "rating": c.rating,
            "messages": [{"role": m.role, "text": pii_text.reveal(m.text, m.text_enc), "at": format_local(m.at),
                          "delivery": m.delivery} for m in msgs],
            "history": [{"action": e.action, "by": e.actor_name, "reason": e.reason, "at": format_local(e.at)}
                        for e in events],
        })
    return out


async def _erase_history_text(case_ids: list[int]) -> None:
    """The one exception to an append-only history: erasure on request blanks the reasons staff
    wrote (they quote the resident); who did what and when stays."""
    await CaseEvent.filter(case_id__in=case_ids).exclude(reason="").update(reason=SCRUBBED)


async def scrub_resident(*, resident_id: int, actor_id: int | None, actor_name: str, reason: str) -> dict[str, int]:
    """Scrub everything about the resident on their cases (inside the erasure's transaction): summary,
    result, conversation and notes (which quote them), reasons in the history and in transfers, the
    openid and unused bind codes. The case skeleton and history stay for statistics, with an
    erasure event added."""
    case_ids = [c["id"] for c in await Case.filter(resident_id=resident_id).values("id")]
    if not case_ids:
        return {"cases": 0, "messages": 0}
    msgs = await CaseMessage.filter(case_id__in=case_ids).update(text=SCRUBBED, text_enc=None, scrubbed=True)
    await Case.filter(id__in=case_ids).update(summary=SCRUBBED, summary_enc=None, openid=None)
    await Case.filter(id__in=case_ids, result_text__isnull=False).update(result_text=SCRUBBED)
    await _erase_history_text(case_ids)
    await TransferRequest.filter(case_id__in=case_ids).update(reason=SCRUBBED, decision_reason="")
    await BindCode.filter(purpose="case", target_id__in=case_ids).delete()
    for cid in case_ids:
        await CaseEvent.create(case_id=cid, action="resident_erased", actor_id=actor_id, actor_name=actor_name,
                               reason=reason[:200], at=utcnow())
    return {"cases": len(case_ids), "messages": int(msgs)}


async def purge_messages(*, before: datetime) -> int:
    """Clear the text of conversation messages older than ``before`` (notes and the case skeleton stay)."""
    return int(await CaseMessage.filter(at__lt=before, scrubbed=False, role__in=["resident", "bot", "staff"]).update(
        text=PURGED, text_enc=None, scrubbed=True))
