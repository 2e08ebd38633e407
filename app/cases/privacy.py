"""Residents' personal data on the case desk (个人信息保护法): masked views, audited reveals, walk-in
records, export and erasure on request, and the purge of chat logs after the retention period."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.cases.models import Case, CaseEvent, CaseMessage
from app.core import pii
from app.core.actor import Actor
from app.core.clock import format_local, utcnow
from app.errors import NotFound
from app.residents.models import Resident

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


async def _visible(actor: Actor, resident_id: int) -> tuple[Resident, list[Case]]:
    r = await Resident.get_or_none(id=resident_id)
    if r is None:
        raise ResidentNotVisible()
    cases = actor.scope.apply(Case.filter(resident_id=r.id), "township_code", "community_code")
    case_list = await cases.order_by("-opened_at")
    if not (case_list or actor.scope.allows(r.township_code) or actor.scope.allows(r.community_code)):
        raise ResidentNotVisible()
    return r, case_list


def _mask(enc: str | None, masker: Any) -> str:
    if not enc:
        return ""
    try:
        return str(masker(pii.decrypt(enc)))
    except Exception:
        return "****"


async def get_resident_view(*, actor: Actor, resident_id: int) -> ResidentView:
    """A resident as staff in scope see them (phone and ID masked); NotFound outside scope."""
    r, cases = await _visible(actor, resident_id)
    return ResidentView(
        id=r.id, name=r.name, nickname=r.nickname, phone_masked=_mask(r.phone_enc, pii.mask_phone),
        id_number_masked=_mask(r.id_number_enc, pii.mask_id_number), township_code=r.township_code,
        community_code=r.community_code, special_groups=list(r.special_groups or []),
        erased=r.erased_at is not None, cases=cases,
    )


async def _reveal(actor: Actor, resident_id: int, what: str, reason: str, ip: str) -> str | None:
    from app.staff import service as staff_service

    r, _ = await _visible(actor, resident_id)
    enc = r.phone_enc if what == "phone" else r.id_number_enc
    await staff_service.audit(actor=actor, action=f"resident.reveal_{what}", target_type="resident",
                              target_id=r.id, detail={"reason": reason[:200]}, ip=ip)
    return pii.decrypt(enc) if enc else None


async def reveal_phone(*, actor: Actor, resident_id: int, reason: str = "", ip: str = "") -> str | None:
    """The full phone number (to call the resident back); writes an audit entry."""
    return await _reveal(actor, resident_id, "phone", reason, ip)


async def reveal_id_number(*, actor: Actor, resident_id: int, reason: str = "", ip: str = "") -> str | None:
    """The full ID number (legal-aid checks); writes an audit entry."""
    return await _reveal(actor, resident_id, "id_number", reason, ip)


async def record_resident(*, actor: Actor, name: str, phone: str | None = None, id_number: str | None = None,
                          community_code: str | None = None, township_code: str | None = None) -> Resident:
    """A resident met at the desk or on the hotline; found again by phone (keyed hash) when known."""
    from app.staff import service as staff_service

    phone_n = pii.normalize_phone(phone) if phone else None
    id_n = pii.normalize_id_number(id_number) if id_number else None
    existing = await Resident.get_or_none(phone_hash=pii.lookup_hash(phone_n)) if phone_n else None
    r = existing or Resident(name=name)
    r.name = name or r.name
    if phone_n:
        r.phone_enc, r.phone_hash = pii.encrypt(phone_n), pii.lookup_hash(phone_n)
    if id_n:
        r.id_number_enc, r.id_number_hash = pii.encrypt(id_n), pii.lookup_hash(id_n)
    r.community_code = community_code or r.community_code
    r.township_code = township_code or r.township_code
    await r.save()
    await staff_service.audit(actor=actor, action="resident.record", target_type="resident", target_id=r.id)
    return r


async def find_resident_by_phone(*, actor: Actor, phone: str) -> ResidentView | None:
    """Look a resident up by phone number (keyed hash, never a clear-text query)."""
    r = await Resident.get_or_none(phone_hash=pii.lookup_hash(pii.normalize_phone(phone)))
    if r is None:
        return None
    try:
        return await get_resident_view(actor=actor, resident_id=r.id)
    except ResidentNotVisible:
        return None


async def export_resident(*, resident_id: int, actor: Actor | None = None) -> dict[str, Any]:
    """Everything held about a resident, decrypted, for their access request (查阅、复制); audited."""
    from app.staff import service as staff_service

    r = await Resident.get_or_none(id=resident_id)
    if r is None:
        raise ResidentNotVisible()
    cases = await Case.filter(resident_id=r.id).order_by("opened_at")
    out: dict[str, Any] = {
        "resident": {
            "id": r.id, "name": r.name, "nickname": r.nickname,
            "phone": pii.decrypt(r.phone_enc) if r.phone_enc else None,
            "id_number": pii.decrypt(r.id_number_enc) if r.id_number_enc else None,
            "township_code": r.township_code, "community_code": r.community_code,
            "special_groups": list(r.special_groups or []), "created_at": format_local(r.created_at),
            "erased_at": format_local(r.erased_at),
        },
        "cases": [],
    }
    for c in cases:
        msgs = await CaseMessage.filter(case_id=c.id).exclude(role="note").order_by("at", "id")
        out["cases"].append({
            "number": c.number, "type": c.type, "status": c.status, "summary": c.summary,
            "opened_at": format_local(c.opened_at), "result": c.result_text,
            "messages": [{"role": m.role, "text": m.text, "at": format_local(m.at)} for m in msgs],
        })
    await staff_service.audit(actor=actor, action="resident.export", target_type="resident", target_id=r.id)
    return out


async def erase_resident(*, resident_id: int, actor: Actor | None = None, reason: str = "") -> dict[str, int]:
    """Erase on request (删除权): null the encrypted fields, name and nickname, scrub the resident's
    message text and case summaries; keep the case skeleton and history for statistics."""
    from app.staff import service as staff_service

    async with in_transaction() as conn:
        r = await Resident.filter(id=resident_id).using_db(conn).select_for_update().first()
        if r is None:
            raise ResidentNotVisible()
        r.phone_enc = r.phone_hash = r.id_number_enc = r.id_number_hash = None
        r.name, r.nickname, r.unionid = "", "", None
        r.erased_at = utcnow()
        await r.save(using_db=conn)
        case_ids = [c["id"] for c in await Case.filter(resident_id=r.id).using_db(conn).values("id")]
        msgs = await CaseMessage.filter(case_id__in=case_ids, role__in=["resident", "bot", "staff"]).using_db(
            conn).update(text=SCRUBBED, scrubbed=True) if case_ids else 0
        if case_ids:
            await Case.filter(id__in=case_ids).using_db(conn).update(summary=SCRUBBED, openid=None)
            for cid in case_ids:
                await CaseEvent.create(case_id=cid, action="resident_erased", actor_id=actor.id if actor else None,
                                       actor_name=actor.name if actor else "系统", reason=reason[:200],
                                       at=utcnow(), using_db=conn)
    # what the resident said on WeChat and to the bot, and their openids (the links to their accounts)
    from app.consult import service as consult_service
    from app.residents.models import ResidentAccount
    from app.wechat import service as wechat_service

    links = await ResidentAccount.filter(resident_id=resident_id).values_list("account_key", "openid")
    msgs += await wechat_service.erase_messages(accounts=[(a, o) for a, o in links])
    msgs += await consult_service.erase_resident(resident_id=resident_id)
    await ResidentAccount.filter(resident_id=resident_id).delete()
    await staff_service.audit(actor=actor, action="resident.erase", target_type="resident", target_id=resident_id,
                              detail={"cases": len(case_ids), "messages": msgs, "reason": reason[:200]})
    log.info("resident %s erased (%s cases)", resident_id, len(case_ids))
    return {"cases": len(case_ids), "messages": int(msgs)}


async def purge_chat_logs(*, now: Any = None) -> int:
    """Clear the text of conversation messages older than ``chat_retention_days`` (notes and the case
    skeleton stay); returns how many were purged."""
    from app.config import get_settings

    cutoff = (now or utcnow()) - timedelta(days=get_settings().chat_retention_days)
    n = await CaseMessage.filter(at__lt=cutoff, scrubbed=False, role__in=["resident", "bot", "staff"]).update(
        text=PURGED, scrubbed=True)
    from app.consult import service as consult_service
    from app.wechat import service as wechat_service

    n += await wechat_service.purge_messages(before=cutoff)
    n += await consult_service.purge_questions(before=cutoff)
    if n:
        log.info("purged %s case chat messages older than %s", n, cutoff.date())
    return int(n)
