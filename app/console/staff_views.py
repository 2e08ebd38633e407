"""District-level console pages: staff accounts (with login locks to lift) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.console import labels
from app.console.kit.auth import RoleNotAllowed, require_role
from app.console.kit.layout import render
from app.core.actor import ROLE_ZH, Actor, Role
from app.core.clock import utcnow
from app.staff import service as staff_service

router = APIRouter(include_in_schema=False)
DistrictReader = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN, Role.SUPERVISOR))]
Admin = Annotated[Actor, Depends(require_role(Role.DISTRICT_ADMIN))]

AUDIT_ZH = {
    "login.ok": "登录成功", "login.failed": "登录失败", "login.locked": "账号锁定", "login.refused_locked": "锁定期间尝试登录",
    "login.unlocked": "解除锁定", "logout": "退出登录", "password.changed": "修改密码",
    "resident.reveal_phone": "查看完整手机号", "resident.reveal_id_number": "查看完整身份证号",
    "resident.record": "登记居民", "cases.export": "导出案件",
}


def _district_only(actor: Actor) -> None:
    if not actor.is_district:
        raise RoleNotAllowed("只有区级账号可以查看。")


@router.get("/console/staff")
async def staff_page(request: Request, actor: DistrictReader) -> Response:
    _district_only(actor)
    users = await staff_service.list_staff(actor=actor)
    return render(request, "console/staff.html", {
        "users": users, "role_names": {r.value: z for r, z in ROLE_ZH.items()}, "now": utcnow(),
        "units": await labels.unit_names(), "is_admin": actor.role == Role.DISTRICT_ADMIN,
        "notice": "已解除锁定。" if request.query_params.get("notice") == "unlock" else "",
    })


@router.post("/console/staff/{staff_id}/unlock")
async def unlock(staff_id: int, actor: Admin) -> Response:
    _district_only(actor)
    await staff_service.unlock(actor=actor, staff_id=staff_id)
    return RedirectResponse("/console/staff?notice=unlock", status_code=303)


@router.get("/console/audit")
async def audit_page(request: Request, actor: DistrictReader,
                     kind: Annotated[str, Query(pattern="^(|login|resident|cases|password)$")] = "") -> Response:
    _district_only(actor)
    entries = await staff_service.recent_audit(limit=300, action_prefix=kind)
    return render(request, "console/audit.html", {"entries": entries, "kind": kind, "audit_zh": AUDIT_ZH})
