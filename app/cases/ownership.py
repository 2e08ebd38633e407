"""Ownership (首问负责): take, assign, hand-over requests and their acceptance or refusal."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from app.cases import states
from app.cases.base import (
    AlreadyOwned,
    CaseForbidden,
    InvalidCaseInput,
    InvalidTransition,
    TransferNotFound,
    TransferPending,
    _event,
    _in_scope,
    _take_owner,
    _writer,
    editing,
    required,
)
from app.cases.models import Case, TransferRequest
from app.core.actor import Actor, Role
from app.core.clock import utcnow
from app.org import service as org_service
from app.staff import service as staff_service


async def take(*, actor: Actor, case_id: int) -> Case:
    """Take an unowned case (首问负责: the taker owns it until an accepted hand-over)."""
    async with editing(actor, case_id, action="take", owner=False) as ed:
        case = ed.case
        if case.owner_id is not None:
            if case.owner_id == actor.id:
                return case
            raise AlreadyOwned()
        await _take_owner(case, actor, "take", conn=ed.conn)
    return case


async def assign(*, actor: Actor, case_id: int, staff_id: int, reason: str = "") -> Case:
    """A district administrator assigns an unowned case to a staff member (who then owns it)."""
    _writer(actor)
    if actor.role != Role.DISTRICT_ADMIN:
        raise CaseForbidden("只有区管理员可以分派案件；镇街请接办后转办。")
    target = await staff_service.actor_for(await staff_service.get_staff(staff_id))
    async with editing(actor, case_id, action="take", owner=False) as ed:
        case = ed.case
        if case.owner_id is not None:
            raise AlreadyOwned()
        if not _in_scope(target, case):
            raise CaseForbidden("该工作人员不负责案件所在地区。")
        if target.read_only:
            raise CaseForbidden("不能把案件分派给督导账号。")
        await _take_owner(case, target, "assign", conn=ed.conn, reason=reason, by=actor)
    return case


async def transfer(*, actor: Actor, case_id: int, reason: str, to_staff_id: int | None = None,
                   to_unit_code: str | None = None) -> TransferRequest:
    """Ask to hand the case over (转办) to a colleague or a unit; it stays with the current owner
    until the receiver accepts."""
    reason = required(reason, "转办须说明理由。")
    if (to_staff_id is None) == (to_unit_code is None):
        raise InvalidCaseInput("请选择接收人或接收单位（二选一）。")
    if to_unit_code is not None and to_unit_code not in await org_service.tree():
        raise InvalidCaseInput("接收单位不存在。")
    receiver: Actor | None = None
    if to_staff_id is not None:
            receiver = await staff_service.actor_for(await staff_service.get_staff(to_staff_id))
    async with editing(actor, case_id, action="transfer") as ed:
        case, conn = ed.case, ed.conn
        if receiver is not None:
            # a colleague must cover the case's area; another unit is reached by transferring to the unit
            if receiver.read_only:
                raise CaseForbidden("不能把案件转给督导账号。")
            if not _in_scope(receiver, case):
                raise CaseForbidden("该工作人员不负责案件所在地区，请转办到对方单位。")
        if to_staff_id == case.owner_id:
            raise InvalidCaseInput("接收人就是当前负责人。")
        if await TransferRequest.filter(case_id=case.id, status="pending").using_db(conn).exists():
            raise TransferPending()
        tr = await TransferRequest.create(case_id=case.id, from_owner_id=case.owner_id, to_staff_id=to_staff_id,
                                          to_unit_code=to_unit_code, reason=reason, created_at=utcnow(), using_db=conn)
        await _event(case, "transfer_request", actor, conn=conn, reason=reason, from_owner_id=case.owner_id,
                     to_owner_id=to_staff_id, from_unit=case.community_code or case.township_code, to_unit=to_unit_code,
                     detail={"transfer_id": tr.id})
    return tr


def _may_receive(actor: Actor, tr: TransferRequest) -> bool:
    if actor.read_only:
        return False
    if tr.to_staff_id is not None:
        return tr.to_staff_id == actor.id
    return actor.scope.allows(tr.to_unit_code)


async def _pending_transfer_for(actor: Actor, transfer_id: int, conn: Any) -> TransferRequest:
    """The pending hand-over addressed to ``actor``, locked; NotFound for anyone else."""
    tr = await TransferRequest.filter(id=transfer_id).using_db(conn).select_for_update().first()
    if tr is None or not _may_receive(actor, tr):
        raise TransferNotFound()
    if tr.status != "pending":
        raise InvalidTransition("该转办申请已处理。")
    return tr


async def accept_transfer(*, actor: Actor, transfer_id: int) -> Case:
    """The receiver accepts a hand-over: they become the owner (and the case moves unit when sent to one)."""
    async with in_transaction() as conn:
        tr = await _pending_transfer_for(actor, transfer_id, conn)
        case = await Case.filter(id=tr.case_id).using_db(conn).select_for_update().get()
        if tr.to_staff_id is not None and not _in_scope(actor, case):
            raise TransferNotFound()  # the receiver's area no longer covers the case
        frm_owner, frm_unit = case.owner_id, case.community_code or case.township_code
        if tr.to_unit_code is not None:
            info = (await org_service.tree())[tr.to_unit_code]
            if info.kind == "community":
                case.community_code, case.township_code = info.code, info.township_code
            elif info.kind == "township":
                case.community_code, case.township_code = None, info.code
        case.owner_id, case.owner_name = actor.id, actor.name
        frm_status = case.status
        case.status = states.target("take", case.status)
        tr.status, tr.decided_by, tr.decided_at = "accepted", actor.id, utcnow()
        await tr.save(using_db=conn)
        await case.save(using_db=conn)
        await _event(case, "transfer_accept", actor, conn=conn, from_status=frm_status, to_status=case.status,
                     from_owner_id=frm_owner, to_owner_id=actor.id, from_unit=frm_unit,
                     to_unit=case.community_code or case.township_code, detail={"transfer_id": tr.id})
    return case


async def refuse_transfer(*, actor: Actor, transfer_id: int, reason: str) -> TransferRequest:
    """The receiver refuses a hand-over (with a reason); the case stays with its owner."""
    reason = required(reason, "退回转办须说明理由。")
    async with in_transaction() as conn:
        tr = await _pending_transfer_for(actor, transfer_id, conn)
        tr.status, tr.decided_by, tr.decided_at, tr.decision_reason = "refused", actor.id, utcnow(), reason
        await tr.save(using_db=conn)
        case = await Case.filter(id=tr.case_id).using_db(conn).get()
        await _event(case, "transfer_refuse", actor, conn=conn, reason=reason, from_owner_id=case.owner_id,
                     to_owner_id=case.owner_id, detail={"transfer_id": tr.id})
    return tr


async def pending_transfers_for(*, actor: Actor) -> list[TransferRequest]:
    """Hand-overs waiting for this actor (named, or to a unit in their scope)."""
    rows = await TransferRequest.filter(status="pending").order_by("created_at").prefetch_related("case")
    return [t for t in rows if _may_receive(actor, t)]


