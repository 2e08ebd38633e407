"""Feedback (结果反馈): staff replies, the result and its delivery on WeChat, the survey hook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from app.cases.base import (
    CaseForbidden,
    CaseNotFound,
    InvalidCaseInput,
    InvalidTransition,
    _event,
    _load,
    _owner_or_admin,
    _send_to_resident,
    _set_status,
    _take_owner,
    _writer,
    protected_text,
)
from app.cases.models import OPEN_STATUSES, Case, CaseMessage
from app.core.actor import Actor
from app.core.clock import utcnow
from app.jobs import service as jobs


async def reply(*, actor: Actor, case_id: int, text: str) -> CaseMessage:
    """A staff reply sent to the resident. Replying to an unowned case takes it (首问负责); only the
    owner replies to an owned case. The first staff message that reaches the resident sets
    ``first_response_at``: now when sent, else when the queued message goes out (``record_first_response``)."""
    text = (text or "").strip()
    if not text:
        raise InvalidCaseInput("回复内容不能为空。")
    _writer(actor)
    async with in_transaction() as conn:
        case = await _load(actor, case_id, lock=True, conn=conn)
        if case.owner_id is None:
            await _take_owner(case, actor, "take", conn=conn, reason="首次回复即接办")
        elif case.owner_id != actor.id:
            raise CaseForbidden("只有案件负责人可以回复居民；如需换人请转办。")
        if case.status not in OPEN_STATUSES:
            raise InvalidTransition()
        if case.status == "assigned":
            await _set_status(case, "in_progress", "start", actor, conn=conn)
            await case.save(using_db=conn)
        msg = await CaseMessage.create(case_id=case.id, role="staff", author_id=actor.id, author_name=actor.name,
                                       **protected_text(text), at=utcnow(), using_db=conn)
    outcome = await _send_to_resident(case, text)
    msg.delivery = outcome
    await msg.save(update_fields=["delivery"])
    if outcome == "sent" and case.first_response_at is None:
        await record_first_response(case_id=case.id, at=msg.at)
    return msg


async def record_first_response(*, case_id: int, at: datetime) -> bool:
    """首次响应: the first staff message (reply or result) that reached the resident; set once, never
    by a note. True when this call set it."""
    return bool(await Case.filter(id=case_id, first_response_at__isnull=True).update(first_response_at=at))


async def give_result(*, actor: Actor, case_id: int, text: str) -> Case:
    """Record the result (反馈) and queue its delivery to the resident (job ``cases.deliver_result``)."""
    text = (text or "").strip()
    if not text:
        raise InvalidCaseInput("请填写办理结果。")
    _writer(actor)
    async with in_transaction() as conn:
        case = await _load(actor, case_id, lock=True, conn=conn)
        if case.owner_id is None:
            raise InvalidTransition("案件尚无负责人，请先接办。")
        _owner_or_admin(actor, case)
        if case.status not in ("assigned", "in_progress"):
            raise InvalidTransition()
        case.result_text, case.result_at, case.result_delivery = text, utcnow(), None
        await _set_status(case, "result_given", "give_result", actor, conn=conn)
        await case.save(using_db=conn)
        await jobs.enqueue("cases.deliver_result", {"case_id": case.id},
                           dedupe_key=f"cases.deliver_result:{case.id}:{case.result_at.timestamp():.0f}")
    return case


async def deliver_result(*, case_id: int) -> str:
    """Send the result to the resident and record "sent"/"queued"/"none"; then offer the survey."""
    case = await Case.get_or_none(id=case_id)
    if case is None or case.result_text is None or case.result_delivery is not None:
        return case.result_delivery if case and case.result_delivery else "none"
    outcome = await _send_to_resident(case, f"您的事项（{case.number}）办理结果：{case.result_text}")
    if outcome == "sent":
        await record_first_response(case_id=case.id, at=utcnow())
    async with in_transaction() as conn:
        await Case.filter(id=case.id).using_db(conn).update(result_delivery=outcome)
        await _event(case, "result_delivery", None, conn=conn, detail={"outcome": outcome})
        await offer_survey(case=case, conn=conn)
    return outcome


async def offer_survey(*, case: Case, conn: Any = None) -> str:
    """Hook for the survey issue: enqueue "surveys.invite" {case_id} when a handler is registered,
    else mark the invitation pending (the survey domain picks up ``survey_status="pending"``)."""
    if "surveys.invite" in jobs.handlers():
        await jobs.enqueue("surveys.invite", {"case_id": case.id}, dedupe_key=f"surveys.invite:case:{case.id}")
        status = "enqueued"
    else:
        status = "pending"
    await Case.filter(id=case.id).using_db(conn).update(survey_status=status)
    return status


async def mark_rated(*, case_id: int, rating: str) -> Case:
    """For the survey domain: the resident rated the result (反馈 → 评价)."""
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).select_for_update().first()
        if case is None:
            raise CaseNotFound()
        if case.status != "result_given":
            raise InvalidTransition()
        case.rating = rating
        await _set_status(case, "rated", "rate", None, conn=conn, detail={"rating": rating})
        await case.save(using_db=conn)
    return case


