"""Shared pieces of the case desk: errors, scope checks, history writing, deadline recomputation.

Split out of ``service.py`` (which re-exports everything); other domains import ``app.cases.service``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from app.cases import deadlines
from app.cases.models import Case, CaseEvent
from app.config import get_settings
from app.core import metrics, pii_text
from app.core.actor import Actor, Role
from app.core.clock import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.wechat import delivery

log = logging.getLogger("fawu.cases")


class CaseNotFound(NotFound):
    code = "case_not_found"
    message_zh = "没有找到该案件。"


class CaseForbidden(Forbidden):
    code = "case_forbidden"
    message_zh = "您没有权限办理该案件。"


class InvalidTransition(Conflict):
    code = "case_invalid_transition"
    message_zh = "案件当前状态不允许此操作，请刷新后重试。"


class AlreadyOwned(Conflict):
    code = "case_already_owned"
    message_zh = "该案件已有负责人，如需换人请发起转办。"


class TransferPending(Conflict):
    code = "case_transfer_pending"
    message_zh = "该案件已有待接收的转办申请。"


class TransferNotFound(NotFound):
    code = "case_transfer_not_found"
    message_zh = "没有找到该转办申请。"


class InvalidCaseInput(InvalidInput):
    code = "case_invalid_input"
    message_zh = "案件信息填写有误。"


CHANNELS = ("wechat", "miniprogram", "walk_in", "hotline", "web")
# --- helpers -----------------------------------------------------------------------------------

def protected_text(text: str, *, limit: int = 4000) -> dict[str, Any]:
    """A free text as stored: personal numbers masked, the original encrypted beside it
    (``{"text": ..., "text_enc": ...}``; app.core.pii_text)."""
    masked, enc = pii_text.protect(text[:limit])
    return {"text": masked or "", "text_enc": enc}


def _in_scope(actor: Actor, case: Case) -> bool:
    return actor.scope.allows_any(case.township_code, case.community_code)


async def _load(actor: Actor, case_id: int, *, lock: bool = False, conn: Any = None) -> Case:
    qs = Case.filter(id=case_id)
    if conn is not None:
        qs = qs.using_db(conn)
    if lock:
        qs = qs.select_for_update()
    case = await qs.first()
    if case is None or not _in_scope(actor, case):
        raise CaseNotFound()
    return case


def _writer(actor: Actor) -> None:
    if actor.read_only:
        raise CaseForbidden("督导账号只能查看，不能办理案件。")


def _owner_or_admin(actor: Actor, case: Case) -> None:
    _writer(actor)
    if case.owner_id != actor.id and actor.role != Role.DISTRICT_ADMIN:
        raise CaseForbidden("只有案件负责人（或区管理员）可以进行此操作。")


async def _event(case: Case, action: str, actor: Actor | None, *, conn: Any, reason: str = "",
                 from_status: str | None = None, to_status: str | None = None, from_owner_id: int | None = None,
                 to_owner_id: int | None = None, from_unit: str | None = None, to_unit: str | None = None,
                 detail: dict[str, Any] | None = None) -> CaseEvent:
    return await CaseEvent.create(
        case_id=case.id, action=action, actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "居民", reason=reason, from_status=from_status, to_status=to_status,
        from_owner_id=from_owner_id, to_owner_id=to_owner_id, from_unit=from_unit, to_unit=to_unit,
        detail=detail or {}, at=utcnow(), using_db=conn,
    )


async def _set_status(case: Case, to: str, action: str, actor: Actor | None, *, conn: Any, reason: str = "",
                      detail: dict[str, Any] | None = None) -> None:
    frm = case.status
    case.status = to
    await _event(case, action, actor, conn=conn, reason=reason, from_status=frm, to_status=to, detail=detail)


async def recompute_deadline(case: Case, *, conn: Any = None) -> None:
    """Recompute and store a case's deadline from its clock start, limit and history pauses."""
    limit = deadlines.limit_for(case.type)
    pauses: list[tuple[datetime, datetime | None]] = []
    if case.type in get_settings().case_pause_types:
        events = await CaseEvent.filter(case_id=case.id).using_db(conn).order_by("at", "id") if conn else \
            await CaseEvent.filter(case_id=case.id).order_by("at", "id")
        pauses = deadlines.pauses_from_events(events, case.clock_start_at)
    dl = deadlines.compute(start=case.clock_start_at, limit=limit, pauses=pauses)
    old = case.deadline_at
    case.time_limit = limit
    case.paused = dl is None
    case.deadline_at = dl.at if dl else None
    case.deadline_provisional = bool(dl and dl.provisional)
    if old != case.deadline_at:  # a new deadline earns new warnings
        case.due_soon_warned_at = None
        case.overdue_warned_at = None
    await case.save(using_db=conn)


async def _take_owner(case: Case, owner: Actor | Any, action: str, *, conn: Any, reason: str = "",
                      by: Actor | None = None) -> None:
    frm_status = case.status
    case.owner_id = owner.id
    case.owner_name = owner.name
    if case.status == "accepted":
        case.status = "assigned"
    await _event(case, action, by or owner, conn=conn, reason=reason, from_status=frm_status, to_status=case.status,
                 from_owner_id=None, to_owner_id=owner.id)
    await case.save(using_db=conn)



async def _send_to_resident(case: Case, text: str) -> str:
    """Deliver through app.wechat.delivery; "none" when the case has no WeChat identity. A queued
    message enqueues job ``cases.first_response`` when it reaches the resident (首次响应)."""
    if not (case.account_key and case.openid):
        return "none"
    try:
        return await delivery.deliver_text(account_key=case.account_key, openid=case.openid, text=text,
                                           role="staff", on_delivered="cases.first_response",
                                           on_delivered_payload={"case_id": case.id})
    except Exception:  # nothing was queued: say so, so the case page shows it and staff can send again or call
        metrics.caught("cases.delivery", log, "delivery for case %s failed", case.number)
        return "failed"


