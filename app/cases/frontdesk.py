"""The front desk's other two platforms (实体、热线): a clerk registers a walk-in or a 12348 call as
a case in one form, the resident found by phone or recorded; a short code the clerk reads out
links the case to the resident's WeChat (never the phone number alone). The same codes let a staff
member allow WeChat alerts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.cases import notices
from app.cases.base import CaseForbidden, InvalidCaseInput, _load, _writer, required
from app.cases.handover import link_wechat
from app.cases.models import BindCode, Case
from app.core import pii
from app.core.actor import Actor
from app.core.clock import utcnow

DESK_CHANNELS = {"walk_in": "窗口", "hotline": "热线", "web": "网络"}
CODE_TTL = {"case": timedelta(days=7), "staff": timedelta(hours=1)}


class BindCodeInvalid(InvalidCaseInput):
    code = "bind_code_invalid"
    message_zh = "绑定码不正确或已过期，请向工作人员重新索取。"


@dataclass
class Registered:
    case: Case
    bind_code: str
    expires_at: datetime


async def new_bind_code(*, purpose: str, target_id: int) -> BindCode:
    """A fresh 6-digit code for a case or a staff member (earlier unused ones stop working)."""
    for _ in range(20):
        code = f"{secrets.randbelow(900000) + 100000}"
        try:
            async with in_transaction():
                await BindCode.filter(purpose=purpose, target_id=target_id, used_at__isnull=True).delete()
                return await BindCode.create(code=code, purpose=purpose, target_id=target_id,
                                             expires_at=utcnow() + CODE_TTL[purpose])
        except IntegrityError:
            continue
    raise RuntimeError("no free bind code")


async def redeem_bind_code(*, code: str, purpose: str) -> int:
    """Use a code once: the case or staff id it stands for; BindCodeInvalid otherwise."""
    now = utcnow()
    row = await BindCode.get_or_none(code=code.strip(), purpose=purpose)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise BindCodeInvalid()
    if not await BindCode.filter(id=row.id, used_at__isnull=True).update(used_at=now):
        raise BindCodeInvalid()
    return row.target_id


async def register_walk_in(*, actor: Actor, channel: str, summary: str, phone: str = "", name: str = "",
                           category: str | None = None, type: str = "consultation", urgent: bool = False,
                           community_code: str | None = None, township_code: str | None = None,
                           contact_consent: bool = False) -> Registered:
    """A clerk registers a desk visit or a hotline call as a case: the resident found by phone (or
    recorded), consent to be contacted recorded, the clerk its owner (首问负责); returns the code the
    clerk reads out so the resident can link WeChat."""
    # function-level: service.py re-exports this module (a cycle at import time)
    from app.cases import service

    _writer(actor)
    if channel not in DESK_CHANNELS:
        raise InvalidCaseInput("请选择受理渠道：窗口、热线或网络。")
    summary = required(summary, "请填写事项摘要。")
    resident_id = None
    if phone.strip():  # found again by the phone's keyed hash, else recorded
        pii.normalize_phone(phone)
        r = await service.record_resident(actor=actor, name=name.strip()[:32], phone=phone,
                                          community_code=community_code, township_code=township_code)
        resident_id = r.id
    elif contact_consent:
        raise InvalidCaseInput("同意回访须留下联系电话。")
    case = await service.open_case(type=type, resident_id=resident_id, channel=channel, summary=summary,
                                   category=category or None, community_code=community_code,
                                   township_code=township_code, urgent=urgent, source="desk", actor=actor,
                                   contact_consent=contact_consent)
    code = await new_bind_code(purpose="case", target_id=case.id)
    return Registered(case, code.code, code.expires_at)


async def case_bind_code(*, actor: Actor, case_id: int) -> BindCode:
    """A new code for an existing case (the resident lost it)."""
    _writer(actor)
    case = await _load(actor, case_id)
    if case.openid:
        raise CaseForbidden("该案件已绑定微信。")
    return await new_bind_code(purpose="case", target_id=case.id)


async def bind_wechat(*, code: str, account_key: str, openid: str) -> Case:
    """The resident sent the code on WeChat: the case is linked to them."""
    case_id = await redeem_bind_code(code=code, purpose="case")
    return await link_wechat(case_id=case_id, account_key=account_key, openid=openid)


async def staff_alert_code(*, actor: Actor) -> BindCode:
    """A code a staff member sends to the district's service account to allow WeChat alerts."""
    return await new_bind_code(purpose="staff", target_id=actor.id)


async def bind_staff_alerts(*, code: str, account_key: str, openid: str) -> int:
    staff_id = await redeem_bind_code(code=code, purpose="staff")
    await notices.allow_wechat_alerts(staff_id=staff_id, account_key=account_key, openid=openid)
    return staff_id


async def redeem_wechat_code(*, code: str, account_key: str, openid: str) -> str:
    """A code sent on WeChat: links a case or a staff member's alerts; the Chinese reply."""
    row = await BindCode.get_or_none(code=code.strip())
    if row is None:
        raise BindCodeInvalid()
    if row.purpose == "staff":
        await bind_staff_alerts(code=code, account_key=account_key, openid=openid)
        return "已开通工作台提醒：紧急案件和超期督办将通过本公众号通知您。"
    case = await bind_wechat(code=code, account_key=account_key, openid=openid)
    return (f"绑定成功：您的事项（{case.number}）的办理进展和结果将通过本公众号告诉您。"
            "回复“查进度”可随时查看。")
