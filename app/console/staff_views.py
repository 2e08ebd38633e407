"""Administrators' console pages: staff accounts (system administrator: locks, disabling; security
administrator: roles, second factors), and the audit log (audit administrator: read, verify, export).
District administrators and supervisors keep a read-only staff list of their district."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from app.console import labels
from app.console.kit.auth import RoleNotAllowed, client_ip, require_right, require_staff
from app.console.kit.layout import render
from app.core.actor import ADMIN_ROLES, Actor, Role
from app.core.clock import LOCAL_TZ, format_local, utcnow
from app.errors import FawuError, InvalidInput
from app.staff import service as staff_service

router = APIRouter(include_in_schema=False)
StaffViewer = Annotated[Actor, Depends(require_right("staff.view"))]
Accounts = Annotated[Actor, Depends(require_right("staff.accounts"))]
Roles = Annotated[Actor, Depends(require_right("staff.roles"))]
MfaReset = Annotated[Actor, Depends(require_right("staff.mfa_reset"))]
AuditReader = Annotated[Actor, Depends(require_right("audit.read"))]
AuditExporter = Annotated[Actor, Depends(require_right("audit.export"))]

AUDIT_ZH = {
    "login.ok": "登录成功", "login.failed": "登录失败", "login.locked": "账号锁定", "login.refused_locked": "锁定期间尝试登录",
    "login.refused_backstop": "多地址猜测被拒", "login.password_ok": "密码正确（待动态验证码）",
    "login.mfa_failed": "动态验证码错误", "login.mfa_locked": "动态验证码错误过多",
    "login.unlocked": "解除锁定", "logout": "退出登录", "password.changed": "修改密码", "password.expired": "密码到期",
    "session.idle_timeout": "会话超时", "mfa.enrolled": "绑定双因素认证", "mfa.enrol_failed": "绑定双因素认证失败",
    "mfa.reset": "重置双因素认证", "staff.created": "新建账号", "staff.disabled": "停用账号", "staff.enabled": "启用账号",
    "staff.disabled_dormant": "长期未用停用", "staff.role_changed": "修改角色",
    "resident.reveal_phone": "查看完整手机号", "resident.reveal_id_number": "查看完整身份证号",
    "case.reveal_text": "查看案件原文", "resident.record": "登记居民", "resident.erase": "删除个人信息",
    "resident.export": "导出个人信息", "cases.export": "导出案件", "audit.exported": "导出审计日志",
    "audit.archived": "归档审计日志", "audit.verified": "校验审计日志", "console.denied": "越权访问被拒",
    "crypto.rekeyed": "数据重新加密", "crypto.rotated": "数据密钥轮换", "config.changed": "配置变更",
    "jobs.retried": "重新执行后台任务",
    "resident.viewed": "查看居民个人信息页面", "case.viewed": "查看案件页面",
    "resident.listed": "列表中显示居民信息", "case.listed": "列表中显示案件", "booking.listed": "预约名单中显示",
    "survey_response.listed": "查看评价内容", "booking.ics_exported": "预约日历订阅导出",
    "booking.service_edit": "修改预约事项", "case.result_given": "反馈办理结果（已签名）",
    "case.closed": "办结案件", "case.labelled": "调整案件密级", "staff.clearance_changed": "修改密级权限",
    "push.approved": "审核通过普法推送", "sign.enrolled": "生成个人签名密钥", "sign.failed": "签名口令错误",
}
KINDS = [("", "全部"), ("login", "登录"), ("resident", "个人信息"), ("sign", "签名"), ("push", "推送审核"), ("case", "案件原文"), ("cases", "导出"), ("booking", "预约"),
         ("password", "密码"), ("staff", "账号与角色"), ("mfa", "双因素"), ("audit", "审计"), ("console", "越权")]


def local_day_start(day: str) -> datetime:
    """The UTC instant a Beijing calendar day (YYYY-MM-DD) begins."""
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=LOCAL_TZ).astimezone(UTC)


@router.get("/console/staff")
async def staff_page(request: Request, actor: StaffViewer) -> Response:
    if actor.role in ADMIN_ROLES:
        users = await staff_service.all_staff(actor=actor)
    else:
        if not actor.is_district:
            raise RoleNotAllowed("只有区级账号可以查看。")
        users = await staff_service.list_staff(actor=actor)
    notice = {"unlock": "已解除锁定。", "active": "已更新账号状态。", "role": "已修改角色。",
              "mfa": "已重置双因素认证，该账号下次登录时重新绑定。",
              "clearance": "已修改密级权限。"}.get(request.query_params.get("notice", ""), "")
    return render(request, "console/staff.html", {
        "users": users, "role_names": staff_service.role_names(), "now": utcnow(),
        "units": await labels.unit_names(), "notice": notice,
        "can_accounts": staff_service.has_right(actor, "staff.accounts"),
        "can_roles": staff_service.has_right(actor, "staff.roles"),
        "roles": list(Role), "me": actor.id, "levels": staff_service.level_names(),
    })


@router.post("/console/staff/{staff_id}/unlock")
async def unlock(request: Request, staff_id: int, actor: Accounts) -> Response:
    await staff_service.unlock(actor=actor, staff_id=staff_id, ip=client_ip(request))
    return RedirectResponse("/console/staff?notice=unlock", status_code=303)


@router.post("/console/staff/{staff_id}/active")
async def set_active(request: Request, staff_id: int, actor: Accounts,
                     active: Annotated[str, Form(pattern="^[01]$")] = "0") -> Response:
    await staff_service.set_active(actor=actor, staff_id=staff_id, active=active == "1", ip=client_ip(request))
    return RedirectResponse("/console/staff?notice=active", status_code=303)


@router.post("/console/staff/{staff_id}/role")
async def set_role(request: Request, staff_id: int, actor: Roles,
                   role: Annotated[str, Form(max_length=20)] = "") -> Response:
    if role not in {r.value for r in Role}:
        raise RoleNotAllowed("未知的角色。")
    await staff_service.set_role(actor=actor, staff_id=staff_id, role=Role(role), ip=client_ip(request))
    return RedirectResponse("/console/staff?notice=role", status_code=303)


@router.post("/console/staff/{staff_id}/clearance")
async def set_clearance(request: Request, staff_id: int, actor: Roles,
                        level: Annotated[int, Form(ge=0, le=3)] = 2) -> Response:
    await staff_service.set_clearance(actor=actor, staff_id=staff_id, level=level, ip=client_ip(request))
    return RedirectResponse("/console/staff?notice=clearance", status_code=303)


@router.post("/console/staff/{staff_id}/mfa-reset")
async def mfa_reset(request: Request, staff_id: int, actor: MfaReset) -> Response:
    await staff_service.reset_mfa(actor=actor, staff_id=staff_id, ip=client_ip(request))
    return RedirectResponse("/console/staff?notice=mfa", status_code=303)


KindParam = Annotated[str, Query(pattern="^(|login|resident|case|cases|password|staff|mfa|audit|console|sign|push)$")]
ResidentParam = Annotated[str, Query(max_length=12, pattern=r"^\d*$")]
ActorParam = Annotated[str, Query(max_length=32)]
DateParam = Annotated[str, Query(max_length=10, pattern=r"^(|\d{4}-\d{2}-\d{2})$")]


def _audit_query(kind: str, resident: str, who: str, since: str, until: str) -> staff_service.AuditQuery:
    """The page's filters as a query: dates are Beijing days (``until`` included)."""
    try:
        start = local_day_start(since) if since else None
        end = local_day_start(until) + timedelta(days=1) if until else None
    except ValueError:
        raise InvalidInput("日期格式不正确（YYYY-MM-DD）。") from None
    return staff_service.AuditQuery(
        action_prefix=kind + "." if kind else "", target_type="resident" if resident else "",
        target_id=resident, actor=who.strip(), since=start, until=end)


@router.get("/console/audit")
async def audit_page(request: Request, actor: AuditReader, kind: KindParam = "", resident: ResidentParam = "",
                     who: ActorParam = "", since: DateParam = "", until: DateParam = "",
                     verify: Annotated[str, Query(pattern="^(|1)$")] = "") -> Response:
    query = _audit_query(kind, resident, who, since, until)
    entries = await staff_service.recent_audit(actor=actor, limit=300, query=query)
    verdict = await staff_service.verify_audit(actor=actor) if verify else None
    signatures = await staff_service.signature_checks(actor=actor, entries=entries)
    filters = {k: v for k, v in (("kind", kind), ("resident", resident), ("who", who), ("since", since),
                                 ("until", until)) if v}
    return render(request, "console/audit.html", {"entries": entries, "kind": kind, "audit_zh": AUDIT_ZH,
                                                  "kinds": KINDS, "verdict": verdict, "filters": filters,
                                                  "signatures": signatures,
                                                  "export_qs": urlencode(filters),
                                                  "role_names": staff_service.role_names()})


@router.get("/console/audit/export")
async def audit_export(request: Request, actor: AuditExporter, kind: KindParam = "", resident: ResidentParam = "",
                       who: ActorParam = "", since: DateParam = "", until: DateParam = "") -> Response:
    query = _audit_query(kind, resident, who, since, until)
    lines = await staff_service.export_audit(actor=actor, ip=client_ip(request), query=query)
    name = f"fawu-audit-{format_local(utcnow(), '%Y%m%d-%H%M')}.jsonl"
    return StreamingResponse(lines, media_type="application/x-ndjson",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


Staff = Annotated[Actor, Depends(require_staff)]


@router.get("/console/signing")
async def signing_page(request: Request, actor: Staff) -> Response:
    """The staff member's personal SM2 signing key: its fingerprint, or the form to generate one."""
    key = await staff_service.signing_key(actor=actor)
    return render(request, "console/signing.html", {"key": key, "done": request.query_params.get("done") == "1"})


@router.post("/console/signing")
async def signing_enrol(request: Request, actor: Staff, pin: Annotated[str, Form(max_length=128)] = "",
                        confirm: Annotated[str, Form(max_length=128)] = "") -> Response:
    try:
        await staff_service.enrol_signing_key(actor=actor, pin=pin, confirm=confirm, ip=client_ip(request))
    except FawuError as exc:
        key = await staff_service.signing_key(actor=actor)
        return render(request, "console/signing.html", {"key": key, "error": exc.message_zh},
                      status_code=exc.status)
    return RedirectResponse("/console/signing?done=1", status_code=303)
