"""Console authentication: session cookie, CSRF tokens, ``require_staff`` / ``require_role`` dependencies.

Pages get a redirect to /console/login when not logged in; APIs (/console/api/..., or a client not
asking for HTML) get 401 JSON. Every unsafe request (POST, PUT, PATCH, DELETE) must carry the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``), else a Chinese 403.
A supervisor (督导) is read-only: every unsafe request through ``require_staff`` is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response

from app.config import get_settings
from app.console.kit import sessions
from app.console.kit.csrf import SAFE_METHODS, check_csrf
from app.core.actor import Actor, Role
from app.errors import Forbidden, NotAuthenticated
from app.staff import service as staff_service

SESSION_COOKIE = "fawu_console"
LOGIN_PATH = "/console/login"
PASSWORD_PATH = "/console/password"
MFA_PATH = "/console/mfa"


class ReadOnlyRole(Forbidden):
    code = "read_only"
    message_zh = "只读账号（督导、审计管理员）不能修改任何内容。"


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
    message_zh = "您的角色无权进行此操作。"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    message_zh = "首次登录请先修改初始密码。"


class MfaEnrolmentRequired(Forbidden):
    code = "mfa_enrolment_required"
    message_zh = "您的角色须使用双因素认证，请先绑定认证器应用。"


class LoginRequired(NotAuthenticated):
    code = "login_required"
    message_zh = "请先登录工作台。"


@dataclass(frozen=True)
class ConsoleUser:
    """The logged-in staff member of this request."""

    staff: Any  # the StaffUser row (staff's model, reached through staff.service)
    actor: Actor
    csrf_token: str
    session_token: str


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def wants_page(request: Request) -> bool:
    """A browser page (redirect to login) rather than an API call (401 JSON)."""
    if "/api/" in request.url.path:
        return False
    return "text/html" in request.headers.get("accept", "")


def safe_next(target: str | None) -> str:
    """Only redirect to our own console pages after login (no open redirect)."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def _redirect(location: str) -> HTTPException:
    # FastAPI dependencies cannot return a response; a 303 HTTPException with Location is the
    # documented way to redirect from one (FawuError renders messages, not redirects).
    return HTTPException(status_code=303, headers={"Location": location})


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_max_age, path="/", httponly=True,
                        samesite="lax", secure=settings.cookie_secure)


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure)


async def current_user(request: Request) -> ConsoleUser | None:
    """The logged-in staff member, or None (cached for the request)."""
    if hasattr(request.state, "console_user"):
        cached: ConsoleUser | None = request.state.console_user
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    info = await sessions.get_session(token)
    user = None
    if info is not None and token:
        actor = await staff_service.actor_for(info.staff)
        user = ConsoleUser(staff=info.staff, actor=actor, csrf_token=info.session.csrf_token, session_token=token)
    request.state.console_user = user
    return user


async def require_login(request: Request) -> ConsoleUser:
    """Logged in (any role, password change not yet enforced); CSRF checked on unsafe methods."""
    user = await current_user(request)
    if user is None:
        if wants_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise _redirect(f"{LOGIN_PATH}?next={quote(target, safe='')}")
        raise LoginRequired()
    await check_csrf(request, user.csrf_token)
    return user


async def require_console_user(request: Request) -> ConsoleUser:
    """Logged in, password changed, CSRF checked, and read-only roles kept to safe methods."""
    user = await require_login(request)
    if user.staff.must_change_password:
        if wants_page(request) and request.method in SAFE_METHODS:
            raise _redirect(PASSWORD_PATH)
        raise PasswordChangeRequired()
    if user.staff.totp_enabled_at is None and staff_service.mfa_required_for(user.staff.role):
        if wants_page(request) and request.method in SAFE_METHODS:
            raise _redirect(MFA_PATH)
        raise MfaEnrolmentRequired()
    if request.method not in SAFE_METHODS and user.actor.read_only:
        await staff_service.audit(actor=user.actor, action="console.denied", target_type="path",
                                  target_id=request.url.path[:64], ip=client_ip(request), outcome="denied",
                                  detail={"method": request.method, "reason": "read_only"})
        raise ReadOnlyRole()
    return user


async def require_staff(request: Request) -> Actor:
    """The FastAPI dependency for every console route: the acting staff member's Actor."""
    return (await require_console_user(request)).actor


async def _denied(request: Request, actor: Actor) -> RoleNotAllowed:
    """A refused page or action is a security event: audit-logged with what was asked."""
    await staff_service.audit(actor=actor, action="console.denied", target_type="path",
                              target_id=request.url.path[:64], detail={"method": request.method},
                              ip=client_ip(request), outcome="denied")
    return RoleNotAllowed()


def require_role(*roles: Role) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting only the given roles (on top of everything ``require_staff`` checks)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Actor:
        actor = await require_staff(request)
        if actor.role not in allowed:
            raise await _denied(request, actor)
        return actor

    return dependency


def require_right(right: str) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting the roles that have a right (``staff.service.RIGHTS``); the services
    check the same right again."""

    async def dependency(request: Request) -> Actor:
        actor = await require_staff(request)
        if not staff_service.has_right(actor, right):
            raise await _denied(request, actor)
        return actor

    return dependency
