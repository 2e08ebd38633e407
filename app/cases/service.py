"""The case front desk (一站受理): opening, first-responder ownership, transfers, lifecycle, feedback.

Every change writes one append-only ``CaseEvent`` in the same transaction; no function here updates
or deletes an event. This module is the domain's public face: it defines opening and the lifecycle
and re-exports ownership (``ownership.py``), feedback (``feedback.py``), console reads
(``queries.py``) and personal data (``privacy.py``); callers use ``cases_service.*`` only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.cases import deadlines, notices, states
from app.cases.base import (  # noqa: F401  the domain's errors, re-exported for callers
    CHANNELS,
    AlreadyOwned,
    CaseForbidden,
    CaseNotFound,
    InvalidCaseInput,
    InvalidTransition,
    TransferNotFound,
    TransferPending,
    _apply,
    _event,
    _in_scope,
    _load,
    _send_to_resident,
    _take_owner,
    _writer,
    editing,
    protected_text,
    recompute_deadline,
    required,
)
from app.cases.models import (
    CATEGORIES,
    OPEN_STATUSES,
    STATUS_ZH,
    TYPE_ZH,
    Case,
    CaseMessage,
    CaseStatus,
    CaseType,
)
from app.catalog import service as catalog_service
from app.core import metrics
from app.core.actor import Actor, Role
from app.core.clock import to_local, utcnow
from app.core.counting import count_by_field
from app.errors import NotFound
from app.matrix.service import get_matrix
from app.org import service as org_service
from app.staff import service as staff_service

log = logging.getLogger("fawu.cases")


OPEN_TRIES = 12  # case numbers collide when many cases open at once (e.g. a burst of hand-overs)


async def _new_number(conn: Any) -> str:
    day = to_local(utcnow()).strftime("%Y%m%d")
    district = next((u.code for u in (await org_service.tree()).values() if u.kind == "district"), "FW")
    prefix = f"{district}{day}-"
    n = await Case.filter(number__startswith=prefix).using_db(conn).count()
    return f"{prefix}{n + 1:04d}"


async def _resolve_units(*, township_code: str | None, community_code: str | None, board_code: str | None,
                         account_key: str | None) -> tuple[str | None, str | None]:
    """(township, community) from the arguments, else the board scanned, else the account's org unit."""
    tree = await org_service.tree()
    unit = community_code or township_code
    if unit is None and board_code:
        try:
            board = await org_service.get_board(board_code)
            unit = (await board.community).code
        except NotFound:
            unit = None
    if unit is None and account_key:
        try:
            acc = get_matrix().get(account_key)
        except RuntimeError:  # no matrix loaded (CLI, some tests): the case has no unit yet
            metrics.caught("cases.units", log, "no matrix to find account %s's unit", account_key,
                           level=logging.INFO)
            acc = None
        unit = acc.org_unit if acc is not None else None
    info = tree.get(unit) if unit else None
    if info is None:
        return township_code, community_code
    if info.kind == "community":
        return info.township_code, info.code
    if info.kind == "township":
        return info.code, None
    return None, None


# --- opening -----------------------------------------------------------------------------------

async def open_case(*, type: str, resident_id: int | None, channel: str, summary: str,
                    category: str | None = None, township_code: str | None = None,
                    community_code: str | None = None, board_code: str | None = None,
                    account_key: str | None = None, openid: str | None = None,
                    conversation: list[dict[str, Any]] | None = None, urgent: bool = False,
                    source: str = "bot_handoff", actor: Actor | None = None, source_ref: str | None = None,
                    contact_consent: bool = False) -> Case:
    """Open a case (bot hand-over, form, booking, complaint, bad review, or staff recording a walk-in
    or call). Units come from the arguments, else the board, else the account's org unit. With a
    staff ``actor`` the recorder becomes the owner (首问负责). Writes history, computes the deadline
    (the shorter urgent one when ``urgent``) and alerts whoever must hear of it, in one transaction.
    With ``source_ref`` (what opened it, e.g. the inbound message) opening twice gives the one case."""
    if source_ref is not None:
        existing = await Case.get_or_none(source_ref=source_ref)
        if existing is not None:
            return existing
    if type not in {t.value for t in CaseType}:
        raise InvalidCaseInput(f"未知的案件类型：{type}")
    if channel not in CHANNELS:
        raise InvalidCaseInput(f"未知的受理渠道：{channel}")
    if category is not None and category not in CATEGORIES:
        raise InvalidCaseInput(f"未知的事项分类：{category}")
    summary = required(summary, "请填写案件摘要。")
    if actor is not None:
        _writer(actor)
    township_code, community_code = await _resolve_units(
        township_code=township_code, community_code=community_code, board_code=board_code, account_key=account_key)
    if actor is not None and not actor.scope.all_units and not (
            actor.scope.allows_any(township_code, community_code)):
        if township_code is None and community_code is None and actor.unit_codes:
            township_code, community_code = await _resolve_units(
                township_code=None, community_code=actor.unit_codes[0], board_code=None, account_key=None)
        else:
            raise CaseForbidden("不能为本单位以外的地区登记案件。")
    entry = await catalog_service.service_for_ref(type)  # the catalogue's name and 办理时限, kept as of now
    now = utcnow()
    stored = protected_text(summary)  # personal numbers masked, the original encrypted beside it
    for attempt in range(OPEN_TRIES):
        if attempt:  # a concurrent opening took the number: spread the retries (numbers come from a count)
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
        try:
            async with in_transaction() as conn:
                case = await Case.create(
                    number=await _new_number(conn), type=type, category=category, status=CaseStatus.ACCEPTED,
                    source=source, channel=channel, summary=stored["text"], summary_enc=stored["text_enc"],
                    urgent=urgent, resident_id=resident_id,
                    township_code=township_code, community_code=community_code, board_code=board_code,
                    account_key=account_key, openid=openid, opened_at=now, clock_start_at=now,
                    contact_consent=contact_consent, source_ref=source_ref,
                    service_ref=entry.ref if entry else None, service_name=entry.name if entry else "",
                    service_limit=entry.time_limit if entry else "", using_db=conn,
                )
                await _event(case, "open", actor, conn=conn, to_status=CaseStatus.ACCEPTED,
                             to_unit=community_code or township_code,
                             detail={"source": source, "channel": channel, "type": type, "urgent": urgent,
                                     "contact_consent": contact_consent})
                for m in conversation or []:
                    role = m.get("role") if m.get("role") in ("resident", "bot", "staff") else "resident"
                    at = m.get("at")
                    await CaseMessage.create(case_id=case.id, role=role, **protected_text(str(m.get("text", ""))),
                                             at=at if isinstance(at, datetime) else now, using_db=conn)
                if actor is not None:
                    await _take_owner(case, actor, "take", conn=conn, reason="登记即首问负责")
                await recompute_deadline(case, conn=conn)
                await notices.notify_opened(case, conn=conn)
            break
        except IntegrityError:
            if source_ref is not None:  # opened by a concurrent run of the same source
                existing = await Case.get_or_none(source_ref=source_ref)
                if existing is not None:
                    return existing
            if attempt == OPEN_TRIES - 1:
                raise
    log.info("case %s opened (type=%s source=%s)", case.number, type, source)
    return case


async def open_cases_for_resident(*, resident_id: int) -> list[Case]:
    """The resident's cases that are still being handled (urgent first, then newest first)."""
    return await Case.filter(resident_id=resident_id, status__in=list(OPEN_STATUSES)).order_by("-urgent", "-opened_at")


async def add_resident_message(*, case_id: int, text: str) -> CaseMessage:
    """A message from the resident on an open case: joins the conversation, alerts the owner (or the
    unit), and on a case waiting for information restarts the clock (the resident supplied it)."""
    text = required(text, "消息内容不能为空。")
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).select_for_update().first()
        if case is None:
            raise CaseNotFound()
        if not states.allowed("resident_message", case.status):
            raise InvalidTransition("该事项已办结。")
        msg = await CaseMessage.create(case_id=case.id, role="resident", **protected_text(text), at=utcnow(),
                                       using_db=conn)
        if case.status == CaseStatus.WAITING_INFO:
            await _apply(case, "info_supplied", None, conn=conn, reason="居民补充了信息")
            await recompute_deadline(case, conn=conn)
        await notices.notify(case, "message", staff_ids=await notices.recipients(case), key=f"message:{msg.id}",
                             text=f"{case.number} 居民发来新消息", conn=conn)
    return msg


# --- lifecycle ---------------------------------------------------------------------------------

async def _transition(actor: Actor, case_id: int, *, action: str, reason: str = "", recompute: bool = False,
                      extra: dict[str, Any] | None = None) -> Case:
    async with editing(actor, case_id, action=action) as ed:
        case = ed.case
        for k, v in (extra or {}).items():
            setattr(case, k, v)
        await _apply(case, action, actor, conn=ed.conn, reason=reason)
        await case.save(using_db=ed.conn)
        if recompute:
            await recompute_deadline(case, conn=ed.conn)
    return case


async def start(*, actor: Actor, case_id: int) -> Case:
    """The owner starts handling (办理), or resumes after waiting for information."""
    return await _transition(actor, case_id, action="start", recompute=True)


async def return_for_info(*, actor: Actor, case_id: int, reason: str) -> Case:
    """Ask the resident for more information (一次性告知); pauses the clock where the limit says so."""
    reason = required(reason, "请一次性写明需要补充的材料或信息。")
    case = await _transition(actor, case_id, action="return_for_info", reason=reason, recompute=True)
    text = f"您的事项（{case.number}）需要补充以下材料或信息：{reason}\n请直接回复本公众号，工作人员会收到。"
    msg = await CaseMessage.create(case_id=case.id, role="staff", author_id=actor.id, author_name=actor.name,
                                   **protected_text(text), at=utcnow())
    await send_staff_message(case, msg, text)
    return case


async def close(*, actor: Actor, case_id: int, reason: str, pin: str = "", ip: str = "") -> Case:
    """Close without a result (withdrawn, duplicate, unreachable), with a reason; signed with the
    actor's personal SM2 key when they give their PIN (required with ``signed_actions``)."""
    reason = required(reason, "请说明办结理由。")
    signature = await staff_service.sign_action(actor=actor, pin=pin, action="case.closed", target_type="case",
                                                target_id=case_id, detail={"reason": reason})
    case = await _transition(actor, case_id, action="close", reason=reason, extra={"closed_at": utcnow()})
    await staff_service.audit(actor=actor, action="case.closed", target_type="case", target_id=case_id, ip=ip,
                              detail={"reason": reason, "number": case.number,
                                      **({"signature": signature.as_detail()} if signature else {})})
    return case


async def _may_reopen(actor: Actor, case: Case) -> None:
    """The owner, the owner's lead (their supervisor_id: the unit's lead) or a district admin."""
    if case.owner_id is None or case.owner_id == actor.id or actor.role == Role.DISTRICT_ADMIN:
        return
    try:
        lead_id = (await staff_service.get_staff(case.owner_id)).supervisor_id
    except NotFound:
        lead_id = None
    if lead_id is None or lead_id != actor.id:
        raise CaseForbidden("只有案件负责人、其所在单位负责人或区管理员可以重新办理已办结的案件。")


async def reopen(*, actor: Actor, case_id: int, reason: str) -> Case:
    """Reopen a finished case (a new time limit starts now); the owner stays the owner.
    Only the owner, the owner's lead or a district admin may (a finished case is not anyone's to undo)."""
    reason = required(reason, "请说明重新办理的理由。")
    async with editing(actor, case_id, action="reopen", owner=False) as ed:
        case = ed.case
        await _may_reopen(actor, case)
        case.clock_start_at, case.closed_at, case.archived_at = utcnow(), None, None
        await _apply(case, "reopen", actor, conn=ed.conn, reason=reason)
        await case.save(using_db=ed.conn)
        await recompute_deadline(case, conn=ed.conn)
    return case


async def archive(*, actor: Actor, case_id: int) -> Case:
    """Archive (归档) a case whose result was given, rated or that was closed."""
    return await _transition(actor, case_id, action="archive", extra={"archived_at": utcnow()})


async def add_note(*, actor: Actor, case_id: int, text: str) -> CaseMessage:
    """An internal note (never sent to the resident; not a first response)."""
    text = required(text, "备注内容不能为空。")
    _writer(actor)
    case = await _load(actor, case_id)
    return await CaseMessage.create(case_id=case.id, role="note", author_id=actor.id, author_name=actor.name,
                                    **protected_text(text), at=utcnow())


async def recategorize(*, actor: Actor, case_id: int, category: str, reason: str = "") -> Case:
    """Correct a case's category (the bot or the clerk got it wrong); the type follows where the
    category decides it (legal aid, mediation). Written to the history with the old value (audited)."""
    if category not in CATEGORIES:
        raise InvalidCaseInput("未知的事项分类。")
    async with editing(actor, case_id, action="recategorize", needs_owner=False, owner=False) as ed:
        case = ed.case
        old = case.category
        if old == category:
            return case
        case.category = category
        await _event(case, "recategorize", actor, conn=ed.conn, reason=reason.strip()[:200],
                     detail={"from": old, "to": category})
        await case.save(using_db=ed.conn)
    return case


async def mark_urgent(*, case_id: int, reason: str = "", actor: Actor | None = None) -> Case:
    """Mark a case urgent (the safety gate, or staff): the shorter urgent deadline, top of every
    list, and immediate alerts to the unit's staff and the district's duty role."""
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).select_for_update().first()
        if case is None or (actor is not None and not _in_scope(actor, case)):
            raise CaseNotFound()
        if actor is not None:
            _writer(actor)
        if case.urgent or not states.allowed("mark_urgent", case.status):
            return case
        case.urgent = True
        await _event(case, "mark_urgent", actor, conn=conn, reason=reason[:200], actor_name=None if actor else "系统")
        await recompute_deadline(case, conn=conn)
        await notices.notify_urgent(case, conn=conn)
    return case


async def recompute_open_deadlines(*, stale_only: bool = False) -> int:
    """Recompute every open case's deadline (after loading calendar data or changing limits);
    ``stale_only`` (start-up) limits it to provisional deadlines and those whose limit changed."""
    n = 0
    for case in await Case.filter(status__in=list(OPEN_STATUSES)):
        if stale_only and not (case.deadline_provisional or
                               case.time_limit != deadlines.limit_for(case.type, urgent=case.urgent,
                                                                         service_limit=case.service_limit)):
            continue
        await recompute_deadline(case)
        n += 1
    return n


from app.cases.canned import add_canned, delete_canned, list_canned  # noqa: E402,F401  re-exported
from app.cases.feedback import (  # noqa: E402,F401  re-exported for callers
    deliver_result,
    delivery_outcome,
    give_result,
    mark_rated,
    offer_survey,
    record_first_response,
    record_survey,
    refresh_deliveries,
    reply,
    send_staff_message,
)
from app.cases.frontdesk import (  # noqa: E402,F401  re-exported for callers
    BindCodeInvalid,
    Registered,
    case_bind_code,
    register_walk_in,
    staff_alert_code,
)
from app.cases.handover import (  # noqa: E402,F401  re-exported for callers
    HandOverResult,
    link_wechat,
    open_case_of,
    open_or_join_handover,
    progress_text,
    resident_case,
    resident_cases,
)
from app.cases.labels import set_security_level  # noqa: E402,F401  re-exported for callers
from app.cases.ownership import (  # noqa: E402,F401  re-exported for callers
    accept_transfer,
    assign,
    pending_transfers_for,
    refuse_transfer,
    take,
    transfer,
)
from app.cases.privacy import (  # noqa: E402,F401  re-exported for callers
    ResidentView,
    RevealNotAllowed,
    find_resident_by_phone,
    get_resident_view,
    protected_residents,
    record_list_view,
    record_resident,
    record_view,
    reveal_case_text,
    reveal_id_number,
    reveal_phone,
    view_resident,
)
from app.cases.queries import (  # noqa: E402,F401  re-exported for callers
    CasePage,
    CaseView,
    case_counts,
    case_summaries,
    count_tabs,
    dashboard_figures,
    export_rows,
    get_case,
    list_cases,
    my_reminders,
)


async def count_by_board(*, board_codes: list[str] | None = None, since: datetime | None = None,
                         until: datetime | None = None) -> dict[str, int]:
    """Cases opened after a board scan, by board code (for the scan analytics)."""
    return await count_by_field(Case.all(), "board_code", time_field="opened_at", codes=board_codes,
                                since=since, until=until)


def status_labels() -> dict[str, str]:
    """Case status code → its Chinese label, in the order of the lifecycle."""
    return dict(STATUS_ZH)


def type_labels() -> dict[str, str]:
    """Case type code → its Chinese label."""
    return dict(TYPE_ZH)


# Case types that are not a service residents ask for (a complaint, a bad review's rectification, other).
NOT_SERVICES = frozenset({"complaint", "bad_review", "other"})


def service_case_types() -> list[str]:
    """The case types that are public legal services of the catalogue (法律咨询, 法律援助, 调解, 公证)."""
    return [t for t in TYPE_ZH if t not in NOT_SERVICES]
