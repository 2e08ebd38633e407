"""The provider directory (服务机构名录) and practice records (执业信息披露): search, pages, records'
display periods, withdrawal on revocation; every change of a record is audited."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from app.catalog.content import KIND_ZH, PERSON_KINDS, SPECIALITIES, display_until
from app.catalog.models import PracticeRecord, Provider
from app.catalog.service.errors import BadRecord, ProviderNotFound, RecordNotFound
from app.core.actor import Actor
from app.core.clock import local_today, utcnow
from app.staff import service as staff_service


def search_text(p: dict[str, Any]) -> str:
    return " ".join([p["name"], KIND_ZH.get(p["kind"], ""), " ".join(p["specialities"]), p.get("intro", ""),
                     " ".join(p.get("dialects", []))]).lower()


async def search_providers(*, township: str = "", speciality: str = "", kind: str = "", q: str = "",
                           limit: int = 200) -> list[Provider]:
    """Active providers serving a township, with a speciality, of a kind, matching a name or words."""
    rows = await Provider.filter(active=True).order_by("kind", "code")
    words = [w for w in q.lower().split() if w][:5]
    out = []
    kinds = list(KIND_ZH)
    for p in rows:
        if township and township not in (p.townships or []):
            continue
        if speciality and speciality not in (p.specialities or []):
            continue
        if kind and p.kind != kind:
            continue
        if any(w not in p.search_text and w not in p.name for w in words):
            continue
        out.append(p)
    out.sort(key=lambda p: (kinds.index(p.kind) if p.kind in kinds else 99, p.code))
    return out[:limit]


def is_visible(r: PracticeRecord, today: dt.date) -> bool:
    """A record shows from its decision date through display_until, unless revoked."""
    return r.revoked_at is None and r.decision_date <= today <= r.display_until


async def visible_records(provider_code: str, *, today: dt.date | None = None) -> list[PracticeRecord]:
    day = today or local_today()
    rows = await PracticeRecord.filter(provider_code=provider_code, revoked_at=None, decision_date__lte=day,
                                       display_until__gte=day).order_by("-decision_date")
    return [r for r in rows if is_visible(r, day)]


@dataclass
class ProviderPage:
    provider: Provider
    parent: Provider | None
    members: list[Provider]
    records: list[PracticeRecord]
    kind_zh: str
    record_types: dict[str, dict[str, Any]] = field(default_factory=dict)


async def get_provider(code: str) -> Provider:
    p = await Provider.get_or_none(code=code)
    if p is None:
        raise ProviderNotFound()
    return p


async def provider_page(code: str, *, record_types: dict[str, dict[str, Any]]) -> ProviderPage:
    """A provider's public page: its unit, its members, the records in their display period."""
    p = await Provider.get_or_none(code=code, active=True)
    if p is None:
        raise ProviderNotFound()
    parent = await Provider.get_or_none(code=p.parent_code, active=True) if p.parent_code else None
    members = await Provider.filter(parent_code=p.code, active=True).order_by("code")
    return ProviderPage(provider=p, parent=parent, members=list(members), records=await visible_records(p.code),
                        kind_zh=KIND_ZH.get(p.kind, p.kind), record_types=record_types)


async def advisor_links(advisor_codes: list[str]) -> dict[str, str]:
    """The directory pages of org's legal advisors (advisor code → /catalog/providers/<code>)."""
    if not advisor_codes:
        return {}
    rows = await Provider.filter(advisor_code__in=advisor_codes, active=True).values("advisor_code", "code")
    return {r["advisor_code"]: f"/catalog/providers/{r['code']}" for r in rows}


def filters() -> dict[str, Any]:
    return {"kinds": KIND_ZH, "specialities": SPECIALITIES, "person_kinds": PERSON_KINDS}


# ---- practice records, for staff ----

async def record_history(*, provider_code: str = "") -> list[PracticeRecord]:
    """Every record (visible, expired, revoked), newest first: what staff see."""
    qs = PracticeRecord.all()
    if provider_code:
        qs = qs.filter(provider_code=provider_code)
    return list(await qs.order_by("-decision_date", "-id"))


async def get_record(record_id: int) -> PracticeRecord:
    r = await PracticeRecord.get_or_none(id=record_id)
    if r is None:
        raise RecordNotFound()
    return r


def _record_detail(r: PracticeRecord) -> dict[str, Any]:
    return {"code": r.code, "provider": r.provider_code, "type": r.type, "decision_date": r.decision_date.isoformat(),
            "display_until": r.display_until.isoformat(), "authority": r.authority, "source_ref": r.source_ref,
            "revoked": r.revoked_at is not None}


async def add_record(*, actor: Actor, provider_code: str, type: str, decision_date: dt.date, authority: str,
                     summary: str, source_ref: str = "", until: dt.date | None,
                     record_types: dict[str, dict[str, Any]]) -> PracticeRecord:
    """Record a sanction; display_until defaults to the type's period after the decision date."""
    await get_provider(provider_code)
    rtype = record_types.get(type)
    if rtype is None:
        raise BadRecord("请选择记录类型。")
    if not authority.strip() or not summary.strip():
        raise BadRecord("请填写作出决定的机关和记录内容。")
    if decision_date > local_today():
        raise BadRecord("决定日期不能晚于今天。")
    end = until or display_until(decision_date, rtype["display_days"])
    if end < decision_date:
        raise BadRecord("公示截止日期不能早于决定日期。")
    async with in_transaction():
        r = await PracticeRecord.create(
            code=f"R{decision_date:%Y%m%d}-{secrets.token_hex(3)}", provider_code=provider_code,
            type=type, authority=authority.strip()[:64], decision_date=decision_date, display_until=end,
            summary=summary.strip()[:2000], source_ref=source_ref.strip()[:64])
        await staff_service.audit(actor=actor, action="catalog.record_added", target_type="practice_record",
                                  target_id=r.id, detail=_record_detail(r))
    return r


async def revoke_record(*, actor: Actor, record_id: int, reason: str) -> PracticeRecord:
    """The decision was revoked: the record leaves the public page at once (kept for staff)."""
    if not reason.strip():
        raise BadRecord("请填写撤销的依据（如复议决定、判决书文号）。")
    async with in_transaction():
        r = await get_record(record_id)
        if r.revoked_at is not None:
            raise BadRecord("这条记录已经撤回。")
        r.revoked_at, r.revoked_reason = utcnow(), reason.strip()[:200]
        await r.save(update_fields=["revoked_at", "revoked_reason", "updated_at"])
        await staff_service.audit(actor=actor, action="catalog.record_revoked", target_type="practice_record",
                                  target_id=r.id, detail={**_record_detail(r), "reason": r.revoked_reason})
    return r


async def set_display_until(*, actor: Actor, record_id: int, until: dt.date) -> PracticeRecord:
    async with in_transaction():
        r = await get_record(record_id)
        if until < r.decision_date:
            raise BadRecord("公示截止日期不能早于决定日期。")
        before = r.display_until
        r.display_until = until
        await r.save(update_fields=["display_until", "updated_at"])
        await staff_service.audit(actor=actor, action="catalog.record_period_changed", target_type="practice_record",
                                  target_id=r.id, detail={**_record_detail(r), "before": before.isoformat()})
    return r
