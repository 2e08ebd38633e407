"""Feedback (结果反馈): staff replies, the result and its delivery on WeChat, the survey hook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.cases import notices, states
from app.cases.base import (
    CaseForbidden,
    CaseNotFound,
    InvalidTransition,
    _apply,
    _event,
    _send_to_resident,
    _take_owner,
    delivery_ref,
    editing,
    protected_text,
    required,
)
from app.cases.models import Case, CaseMessage, CaseStatus
from app.core import events
from app.core.actor import Actor
from app.core.clock import utcnow
from app.jobs import service as jobs
from app.staff import service as staff_service
from app.wechat import service as wechat_service

# how a result may reach the resident besides WeChat: told by phone or in person (recorded by staff)
TOLD = ("phone", "in_person")


async def send_staff_message(case: Case, msg: CaseMessage, text: str) -> str:
    """Send a recorded staff message (``text``: as typed; the row keeps it masked) to the resident and
    store the outcome on it; a message sent at once is the first response when none was yet (a
    queued one is, when it goes out)."""
    outcome = await _send_to_resident(case, text, message_id=msg.id)
    msg.delivery = outcome
    await msg.save(update_fields=["delivery"])
    if outcome == "sent":
        await record_first_response(case_id=case.id, at=msg.at)
    return outcome


async def reply(*, actor: Actor, case_id: int, text: str) -> CaseMessage:
    """A staff reply sent to the resident. Replying to an unowned case takes it (首问负责); only the
    owner replies to an owned case. The first staff message that reaches the resident sets
    ``first_response_at``: now when sent, else when the queued message goes out (``record_first_response``)."""
    text = required(text, "回复内容不能为空。")
    async with editing(actor, case_id, action="reply", owner=False) as ed:
        case = ed.case
        if case.owner_id is None:
            await _take_owner(case, actor, "take", conn=ed.conn, reason="首次回复即接办")
        elif case.owner_id != actor.id:
            raise CaseForbidden("只有案件负责人可以回复居民；如需换人请转办。")
        if states.target("reply", case.status) != case.status:
            await _apply(case, "start", actor, conn=ed.conn)
            await case.save(using_db=ed.conn)
        msg = await CaseMessage.create(case_id=case.id, role="staff", author_id=actor.id, author_name=actor.name,
                                       **protected_text(text), at=utcnow(), using_db=ed.conn)
    await send_staff_message(case, msg, text)
    return msg


async def record_first_response(*, case_id: int, at: datetime) -> bool:
    """首次响应: the first staff message (reply or result) that reached the resident; set once, never
    by a note. True when this call set it."""
    return bool(await Case.filter(id=case_id, first_response_at__isnull=True).update(first_response_at=at))


async def give_result(*, actor: Actor, case_id: int, text: str, told: str | None = None, pin: str = "",
                      ip: str = "") -> Case:
    """Record the result (反馈). A case linked to WeChat gets it by job ``cases.deliver_result``;
    otherwise ``told`` ("phone" or "in_person") records that staff told the resident themselves.
    Signed with the actor's personal SM2 key when they give their PIN (required with ``signed_actions``
    listing ``case.result_given``): the signature covers the result's text, kept in the audit entry."""
    text = required(text, "请填写办理结果。")
    if told is not None and told not in TOLD:
        raise InvalidTransition("请选择告知方式。")
    signature = await staff_service.sign_action(actor=actor, pin=pin, action="case.result_given", target_type="case",
                                                target_id=case_id, detail={"result": text, "told": told or "wechat"})
    async with editing(actor, case_id, action="give_result") as ed:
        case = ed.case
        now = utcnow()
        case.result_text, case.result_at = text, now
        case.result_delivery, case.result_delivery_reason = (told, "") if told else (None, "")
        await _apply(case, "give_result", actor, conn=ed.conn, detail={"told": told} if told else None)
        await case.save(using_db=ed.conn)
        if told:
            await Case.filter(id=case.id, first_response_at__isnull=True).using_db(ed.conn).update(first_response_at=now)
            await _event(case, "result_delivery", actor, conn=ed.conn, detail={"outcome": told})
            await offer_survey(case=case, conn=ed.conn)
        else:
            await jobs.enqueue("cases.deliver_result", {"case_id": case.id},
                               dedupe_key=f"cases.deliver_result:{case.id}:{now.timestamp():.0f}")
        # other channels tell the resident their own way (the mini-program: a subscribe message)
        await events.publish("cases.result_given", case_id=case.id, number=case.number, channel=case.channel,
                             resident_id=case.resident_id, result=text, at=now.isoformat())
    if signature is not None:
        await staff_service.audit(actor=actor, action="case.result_given", target_type="case", target_id=case_id,
                                  ip=ip, detail={"number": case.number, "signature": signature.as_detail()})
    return case


async def deliver_result(*, case_id: int) -> str:
    """Send the result to the resident and record "sent"/"queued"/"failed"/"none"; then offer the survey."""
    case = await Case.get_or_none(id=case_id)
    if case is None or case.result_text is None or case.result_delivery is not None:
        return case.result_delivery if case and case.result_delivery else "none"
    outcome = await _send_to_resident(case, f"您的事项（{case.number}）办理结果：{case.result_text}", result=True)
    if outcome == "sent":
        await record_first_response(case_id=case.id, at=utcnow())
    async with in_transaction() as conn:
        await Case.filter(id=case.id).using_db(conn).update(result_delivery=outcome)
        await _event(case, "result_delivery", None, conn=conn, detail={"outcome": outcome}, actor_name="系统")
        await offer_survey(case=case, conn=conn)
    return outcome


WAITING = ("queued", "sending")


async def delivery_outcome(*, case_id: int, message_id: int | None = None, result: bool = False,
                           outcome: str = "sent", reason: str = "", at: datetime | None = None) -> bool:
    """A queued message (or the result) ended: sent, expired or failed, with a reason. The case shows
    the real outcome, once (whichever of the hook and the read-back comes first); a delivered one may
    be the first response, an undelivered one alerts the owner. True when this call recorded it."""
    case = await Case.get_or_none(id=case_id)
    if case is None:
        return False
    at = at or utcnow()
    async with in_transaction() as conn:
        n = 0
        if message_id is not None:
            n += await CaseMessage.filter(id=message_id, case_id=case.id, delivery__in=WAITING).using_db(conn).update(
                delivery=outcome, delivery_reason=reason[:200])
        if result:
            n += await Case.filter(id=case.id, result_delivery__in=WAITING).using_db(conn).update(
                result_delivery=outcome, result_delivery_reason=reason[:200])
        if not n:
            return False
        await _event(case, "delivered" if outcome == "sent" else "delivery_failed", None, conn=conn,
                     actor_name="系统", reason=reason[:200],
                     detail={"outcome": outcome, "message_id": message_id, "result": result})
        if outcome != "sent":
            await notices.notify(case, "delivery", staff_ids=await notices.recipients(case),
                                 key=f"delivery:{case.id}:{message_id or 'result'}",
                                 text=f"{case.number} 消息未能送达居民：{reason or outcome}", conn=conn)
    if outcome == "sent":
        await record_first_response(case_id=case.id, at=at)
    return True


async def refresh_deliveries(*, case_id: int | None = None, limit: int = 200) -> int:
    """Read back how queued staff messages and results ended (app.wechat.service.delivery_outcome):
    failed or expired ones show the reason on the case and alert the owner. Returns how many ended."""
    msgs = CaseMessage.filter(role="staff", delivery__in=WAITING)
    results = Case.filter(result_delivery__in=WAITING)
    if case_id is not None:
        msgs, results = msgs.filter(case_id=case_id), results.filter(id=case_id)
    n = 0
    for mid, cid in await msgs.order_by("id").limit(limit).values_list("id", "case_id"):
        out = await wechat_service.delivery_outcome(ref=delivery_ref(int(cid), message_id=int(mid)))
        if out is not None and out.status in ("sent", "failed", "expired"):
            n += await delivery_outcome(case_id=int(cid), message_id=int(mid), outcome=out.status,
                                        reason=out.reason or "", at=out.at)
    for (cid,) in await results.order_by("id").limit(limit).values_list("id"):
        out = await wechat_service.delivery_outcome(ref=delivery_ref(int(cid), result=True))
        if out is not None and out.status in ("sent", "failed", "expired"):
            n += await delivery_outcome(case_id=int(cid), result=True, outcome=out.status, reason=out.reason or "",
                                        at=out.at)
    return n


async def offer_survey(*, case: Case, conn: Any = None) -> str:
    """Hook for the survey issue: enqueue "surveys.invite" {case_id} when a handler is registered,
    else mark the invitation pending (the survey domain picks up ``survey_status="pending"``)."""
    if "surveys.invite" in jobs.handlers():
        await jobs.enqueue("surveys.invite", {"case_id": case.id}, dedupe_key=f"surveys.invite:case:{case.id}")
        status = "enqueued"
    else:
        status = "pending"
    # never over the survey domain's own outcome (sent, queued, skipped, answered) when the hook runs again
    await Case.filter(Q(survey_status__isnull=True) | Q(survey_status__in=("pending", "enqueued")),
                      id=case.id).using_db(conn).update(survey_status=status)
    return status


async def record_survey(*, case_id: int, status: str, reason: str = "", detail: dict[str, Any] | None = None) -> bool:
    """For the survey domain: how the case's survey invitation ended (sent, queued, skipped, answered),
    shown on the case with its reason (``survey_status`` and a history row). False if no such case."""
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).first()
        if case is None:
            return False
        await Case.filter(id=case_id).using_db(conn).update(survey_status=status[:12])
        await _event(case, "survey", None, conn=conn, reason=reason[:200], actor_name="系统",
                     detail={"status": status, **(detail or {})})
    return True


async def mark_rated(*, case_id: int, rating: str) -> Case:
    """For the survey domain: the resident rated the result (反馈 → 评价)."""
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).select_for_update().first()
        if case is None:
            raise CaseNotFound()
        if case.status != CaseStatus.RESULT_GIVEN:
            raise InvalidTransition()
        case.rating = rating
        await _apply(case, "rate", None, conn=conn, detail={"rating": rating})
        await case.save(using_db=conn)
    return case


