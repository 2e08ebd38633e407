"""安全标记 on cases: a case's sensitivity level (公开/内部/敏感/机密), set by staff who handle it within
their own clearance; lowering it (降密) is the district administrator's. Reading is limited by the
label in the case desk's one scoping point (app/cases/base.py) and for residents (app/cases/privacy.py)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.cases.base import CaseForbidden, InvalidCaseInput, _load, _writer, required
from app.cases.models import Case
from app.core.actor import LEVEL_ZH, Actor, Role
from app.staff import service as staff_service


async def set_security_level(*, actor: Actor, case_id: int, level: int, reason: str, ip: str = "") -> Case:
    """Label a case (audited with the old and new level and the reason)."""
    _writer(actor)
    staff_service.require_right(actor, "cases.work")
    if level not in LEVEL_ZH:
        raise InvalidCaseInput("未知的密级。")
    reason = required(reason, "请说明调整密级的理由。")
    if not actor.cleared_for(level):
        raise CaseForbidden("不能把案件定为高于本人密级权限的密级。")
    async with in_transaction() as conn:
        case = await _load(actor, case_id, lock=True, conn=conn)
        old = int(case.security_level)
        if level == old:
            return case
        if level < old and actor.role != Role.DISTRICT_ADMIN:
            raise CaseForbidden("降低密级须由区管理员办理。")
        case.security_level = level
        await case.save(update_fields=["security_level"], using_db=conn)
        await staff_service.audit(actor=actor, action="case.labelled", target_type="case", target_id=case.id,
                                  ip=ip, detail={"from": old, "to": level, "reason": reason[:200],
                                                 "number": case.number})
    return case
