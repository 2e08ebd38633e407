"""Shared pieces of the case desk: errors, who may see and handle a case, the one way into a
change (``editing``), history writing, deadline recomputation and sending to the resident.

Split out of ``service.py`` (which re-exports the public names); other domains import ``app.cases.service``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.cases import deadlines, states
from app.cases.models import Case, CaseEvent
from app.cases.states import InvalidTransition
from app.config import get_settings
from app.core import metrics, pii_text
from app.core.actor import Actor, Role
from app.core.clock import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.wechat import delivery

log = logging.getLogger("fawu.cases")

__all__ = ["InvalidTransition"]


class CaseNotFound(NotFound):
    code = "case_not_found"
    message_zh = "没有找到该案件。"


class CaseForbidden(Forbidden):
    code = "case_forbidden"
    message_zh = "您没有权限办理该案件。"


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


# --- who may see and handle a case ---------------------------------------------------------------

def protected_text(text: str, *, limit: int = 4000) -> dict[str, Any]:
    """A free text as stored: personal numbers masked, the original encrypted beside it
    (``{"text": ..., "text_enc": ...}``; app.core.pii_text)."""
    masked, enc = pii_text.protect(text[:limit])
    return {"text": masked or "", "text_enc": enc}


def _in_scope(actor: Actor, case: Case) -> bool:
    """The case lies in the actor's units and its security label is within their clearance: they may handle it."""
    return actor.cleared_for(case.security_level) and actor.scope.allows_any(case.township_code, case.community_code)


def _may_read(actor: Actor, case: Case) -> bool:
    """In scope, or the first receiver (首问负责: keeps sight of a case transferred elsewhere)."""
    return _in_scope(actor, case) or (case.first_owner_id is not None and case.first_owner_id == actor.id
                                      and actor.cleared_for(case.security_level))


def visible_cases(actor: Actor) -> QuerySet[Case]:
    """Every case the actor may read: the one scoping point of the case desk."""
    if actor.scope.all_units:
        return Case.filter(security_level__lte=actor.clearance)
    units = list(actor.scope.unit_codes)
    return Case.filter(Q(township_code__in=units) | Q(community_code__in=units) | Q(first_owner_id=actor.id),
                       security_level__lte=actor.clearance)


async def _load(actor: Actor, case_id: int, *, lock: bool = False, conn: Any = None) -> Case:
    """A case the actor may handle (in scope), else CaseNotFound (never reveal existence)."""
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


def required(text: str | None, message_zh: str) -> str:
    """The stripped text, or InvalidCaseInput with ``message_zh`` when it is empty."""
    text = (text or "").strip()
    if not text:
        raise InvalidCaseInput(message_zh)
    return text


@dataclass
class Editing:
    """A case loaded with a row lock inside the service's transaction."""

    case: Case
    conn: Any


@asynccontextmanager
async def editing(actor: Actor, case_id: int, *, action: str | None = None, owner: bool = True,
                  needs_owner: bool = True) -> AsyncIterator[Editing]:
    """The opening every staff change shares: writer check → transaction → load with lock →
    owner check (``owner``: the owner or a district admin; ``needs_owner``: refuse unowned cases) →
    the transition table for ``action``. Everything written inside commits together."""
    _writer(actor)
    async with in_transaction() as conn:
        case = await _load(actor, case_id, lock=True, conn=conn)
        if owner:
            if needs_owner and case.owner_id is None:
                raise InvalidTransition("案件尚无负责人，请先接办。")
            _owner_or_admin(actor, case)
        if action is not None and not states.allowed(action, case.status):
            raise InvalidTransition()
        yield Editing(case, conn)


# --- history and status --------------------------------------------------------------------------

async def _event(case: Case, action: str, actor: Actor | None, *, conn: Any, reason: str = "",
                 from_status: str | None = None, to_status: str | None = None, from_owner_id: int | None = None,
                 to_owner_id: int | None = None, from_unit: str | None = None, to_unit: str | None = None,
                 detail: dict[str, Any] | None = None, actor_name: str | None = None) -> CaseEvent:
    """One history row. ``actor`` None is the resident unless ``actor_name`` says who (e.g. 系统)."""
    return await CaseEvent.create(
        case_id=case.id, action=action, actor_id=actor.id if actor else None,
        actor_name=actor_name or (actor.name if actor else "居民"), reason=reason, from_status=from_status,
        to_status=to_status, from_owner_id=from_owner_id, to_owner_id=to_owner_id, from_unit=from_unit,
        to_unit=to_unit, detail=detail or {}, at=utcnow(), using_db=conn,
    )


async def _apply(case: Case, action: str, actor: Actor | None, *, conn: Any, reason: str = "",
                 detail: dict[str, Any] | None = None, actor_name: str | None = None) -> None:
    """Move the case along the transition table for ``action`` and write the history row."""
    frm = case.status
    case.status = states.target(action, frm, owned=case.owner_id is not None)
    await _event(case, action, actor, conn=conn, reason=reason, from_status=frm, to_status=case.status,
                 detail=detail, actor_name=actor_name)


async def recompute_deadline(case: Case, *, conn: Any = None) -> None:
    """Recompute and store a case's deadline from its clock start, limit and history pauses."""
    limit = deadlines.limit_for(case.type, urgent=case.urgent, service_limit=case.service_limit)
    pauses: list[tuple[datetime, datetime | None]] = []
    if case.type in get_settings().case_pause_types:
        events = await CaseEvent.filter(case_id=case.id).using_db(conn).order_by("at", "id")
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
    if case.first_owner_id is None:  # 首问负责: the first receiver is remembered for good
        case.first_owner_id = owner.id
        case.first_unit_code = case.community_code or case.township_code
    case.status = states.target("take", case.status)
    await _event(case, action, by or owner, conn=conn, reason=reason, from_status=frm_status, to_status=case.status,
                 from_owner_id=None, to_owner_id=owner.id)
    await case.save(using_db=conn)


def delivery_ref(case_id: int, *, message_id: int | None = None, result: bool = False) -> str:
    """The reference a staff message (or the result) is sent with; app.wechat.service.delivery_outcome
    tells later how it ended."""
    return f"case:{case_id}:result" if result else f"case:{case_id}:msg:{message_id}"


async def _send_to_resident(case: Case, text: str, *, message_id: int | None = None,
                            result: bool = False) -> str:
    """Deliver through app.wechat.delivery; "none" when the case has no WeChat identity. A queued
    message enqueues job ``cases.delivered`` when it reaches the resident (delivery status, 首次响应)."""
    if not (case.account_key and case.openid):
        return "none"
    hook = {"case_id": case.id, "message_id": message_id, "result": result}
    try:
        return await delivery.deliver_text(account_key=case.account_key, openid=case.openid, text=text,
                                           role="staff", on_delivered="cases.delivered", on_delivered_payload=hook,
                                           ref=delivery_ref(case.id, message_id=message_id, result=result))
    except Exception:  # nothing was queued: say so, so the case page shows it and staff can send again or call
        metrics.caught("cases.delivery", log, "delivery for case %s failed", case.number)
        return "failed"
