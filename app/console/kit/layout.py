"""Rendering console pages: the shared context (staff, CSRF token, navigation) and safe headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.config import get_settings
from app.console.kit.auth import ConsoleUser
from app.core.actor import ROLE_ZH, Role
from app.web import templates

# The console's main navigation: (path, label). Other domains' console pages are linked here.
NAV: list[tuple[str, str]] = [
    ("/console/inbox", "案件收件箱"),
    ("/console/cases/new", "登记来访来电"),
    ("/console/dashboard", "数据看板"),
    ("/console/boards", "公示牌分析"),
    ("/console/push", "普法推送"),
    ("/console/analytics", "统计分析"),
    ("/console/surveys", "满意度评价"),
    ("/console/booking", "预约办事"),
    ("/console/export", "数据导出"),
    ("/console/catalog", "案例与名录"),
    ("/console/signing", "个人签名"),
]
# Shown to district-level administrators and supervisors only.
DISTRICT_NAV: list[tuple[str, str]] = [("/console/staff", "人员与审计"), ("/console/kb/signoff", "知识库签核"),
                                       ("/console/jobs", "后台任务")]

# The three administrators see only their own pages (三权分立), never the case work.
ADMIN_NAV: dict[str, list[tuple[str, str]]] = {
    Role.SYSTEM_ADMIN: [("/console/staff", "账号管理"), ("/console/jobs", "后台任务"), ("/console/mfa", "双因素认证")],
    Role.SECURITY_ADMIN: [("/console/staff", "角色与认证"), ("/console/mfa", "双因素认证")],
    Role.AUDIT_ADMIN: [("/console/audit", "审计日志"), ("/console/mfa", "双因素认证")],
}

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           user: ConsoleUser | None = None, status_code: int = 200) -> HTMLResponse:
    """A console page with the logged-in user, their CSRF token and the navigation."""
    settings = get_settings()
    if user is None:
        cached = getattr(request.state, "console_user", None)
        user = cached if isinstance(cached, ConsoleUser) else None
    ctx: dict[str, Any] = {
        "user": user,
        "actor": user.actor if user else None,
        "csrf_token": user.csrf_token if user else "",
        "role_zh": ROLE_ZH.get(Role(user.staff.role), "") if user else "",
        "read_only": bool(user and user.actor.read_only),
        "nav": ADMIN_NAV[user.staff.role] if user and user.staff.role in ADMIN_NAV else
        NAV + (DISTRICT_NAV if user and user.actor.is_district and user.staff.role in (
            Role.DISTRICT_ADMIN, Role.SUPERVISOR) else []),
        # case alerts are polled for case workers who may use the console now (not the administrators,
        # not before a forced password change or second-factor enrolment)
        "alerts_on": bool(user and not user.staff.must_change_password and user.staff.role not in ADMIN_NAV
                          and not (user.staff.totp_enabled_at is None and str(user.staff.role) in settings.mfa_required_roles)),
        "path": request.url.path,
        "demo": settings.demo,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    for k, v in SECURITY_HEADERS.items():
        response.headers[k] = v
    return response
