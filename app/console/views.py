"""Console pages: login, password change, logout (the dashboard, staff and case pages are their own routers)."""

from __future__ import annotations

import base64
import io
from typing import Annotated

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import edge
from app.config import get_settings
from app.console.kit import auth, csrf, sessions
from app.console.kit.auth import ConsoleUser, require_login
from app.console.kit.layout import render
from app.errors import FawuError
from app.staff import service as staff_service

router = APIRouter(include_in_schema=False)
DEVICE_COOKIE = "fawu_device"
DEVICE_COOKIE_AGE = 180 * 24 * 3600
MFA_COOKIE = "fawu_mfa"  # between the password and the second factor: signed, 5 minutes
MFA_COOKIE_AGE = 300
MFA_LOGIN_PATH = "/console/login/mfa"
HOME_OF = {"system_admin": "/console/staff", "security_admin": "/console/staff", "audit_admin": "/console/audit"}


def _mfa_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key.get_secret_value(), salt="fawu-login-mfa")


async def _township_usernames() -> list[str]:
    plan = await staff_service.demo_staff_plan()
    return [p["username"] for p in plan if p["role"] == "township_staff"]


async def _login_page(request: Request, *, next_url: str, username: str = "", error: str = "",
                      status_code: int = 200) -> Response:
    settings = get_settings()
    token = csrf.login_csrf_token(request)
    response = render(request, "console/login.html", {
        "login_csrf": token, "next": next_url, "username": username, "error": error,
        "max_failures": settings.login_max_failures, "lock_minutes": settings.login_lock_minutes,
        "demo_password": staff_service.DEMO_PASSWORD,
        "township_users": await _township_usernames() if settings.demo else [],
    }, status_code=status_code)
    csrf.set_login_csrf_cookie(response, token)
    return response


@router.get("/console")
async def console_home(request: Request) -> Response:
    user = await auth.current_user(request)
    home = HOME_OF.get(str(user.staff.role), "/console/inbox") if user else "/console/inbox"
    return RedirectResponse(home, status_code=303)


@router.get("/console/login")
async def login_form(request: Request, next: str = "") -> Response:
    if await auth.current_user(request) is not None:
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return await _login_page(request, next_url=auth.safe_next(next))


@router.post("/console/login")
async def login(request: Request, username: Annotated[str, Form(max_length=64)] = "",
                password: Annotated[str, Form(max_length=256)] = "",
                csrf_token: Annotated[str, Form(max_length=128)] = "",
                next: Annotated[str, Form(max_length=500)] = "") -> Response:
    if not csrf.tokens_match(request.cookies.get(csrf.LOGIN_CSRF_COOKIE), csrf_token):
        raise csrf.CsrfFailed()
    settings = get_settings()
    try:
        staff = await staff_service.authenticate(
            username=username, password=password, ip=auth.client_ip(request), client=edge.client_key(request),
            device=staff_service.trusted_device(username, request.cookies.get(DEVICE_COOKIE)),
            max_failures=settings.login_max_failures, lock_minutes=settings.login_lock_minutes,
            account_max_failures=settings.login_account_max_failures)
    except (staff_service.LoginFailed, staff_service.AccountLocked) as exc:
        return await _login_page(request, next_url=auth.safe_next(next), username=username[:64],
                                 error=exc.message_zh, status_code=exc.status)
    if staff.totp_enabled_at is not None:  # the second factor before any session exists
        response = RedirectResponse(MFA_LOGIN_PATH, status_code=303)
        response.set_cookie(MFA_COOKIE, _mfa_signer().dumps({"s": staff.id, "u": username, "n": auth.safe_next(next)}),
                            max_age=MFA_COOKIE_AGE, path=auth.LOGIN_PATH, httponly=True, samesite="strict",
                            secure=settings.cookie_secure)
        return response
    return await _finish_login(request, staff, username=username, next_url=auth.safe_next(next))


async def _finish_login(request: Request, staff: object, *, username: str, next_url: str) -> Response:
    """Both factors checked: a fresh session (never the old token: no fixation), the device cookie."""
    settings = get_settings()
    staff_id = int(getattr(staff, "id", 0))
    old = request.cookies.get(auth.SESSION_COOKIE)
    await sessions.end_session(old)  # a fresh token at every login (no session fixation)
    token, _ = await sessions.create_session(
        staff_id=staff_id, max_age=settings.session_max_age, ip=auth.client_ip(request),
        user_agent=request.headers.get("user-agent", ""))
    if getattr(staff, "must_change_password", False):
        target = auth.PASSWORD_PATH
    elif next_url == "/console":
        target = HOME_OF.get(str(getattr(staff, "role", "")), next_url)
    else:
        target = next_url
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, token)
    response.delete_cookie(csrf.LOGIN_CSRF_COOKIE, path=auth.LOGIN_PATH)
    response.delete_cookie(MFA_COOKIE, path=auth.LOGIN_PATH)
    # this browser has logged in to this account: its own failure count, past the backstop
    response.set_cookie(DEVICE_COOKIE, staff_service.device_token(username), max_age=DEVICE_COOKIE_AGE,
                        path=auth.LOGIN_PATH, httponly=True, samesite="strict", secure=settings.cookie_secure)
    return response


def _pending_mfa(request: Request) -> dict[str, object] | None:
    raw = request.cookies.get(MFA_COOKIE)
    if not raw or len(raw) > 400:
        return None
    try:
        data = _mfa_signer().loads(raw, max_age=MFA_COOKIE_AGE)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("s"), int) else None


async def _mfa_login_page(request: Request, *, error: str = "", status_code: int = 200) -> Response:
    token = csrf.login_csrf_token(request)
    response = render(request, "console/login_mfa.html", {"login_csrf": token, "error": error},
                      status_code=status_code)
    csrf.set_login_csrf_cookie(response, token)
    return response


@router.get(MFA_LOGIN_PATH)
async def mfa_login_form(request: Request) -> Response:
    if _pending_mfa(request) is None:
        return RedirectResponse(auth.LOGIN_PATH, status_code=303)
    return await _mfa_login_page(request)


@router.post(MFA_LOGIN_PATH)
async def mfa_login(request: Request, code: Annotated[str, Form(max_length=64)] = "",
                    csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    if not csrf.tokens_match(request.cookies.get(csrf.LOGIN_CSRF_COOKIE), csrf_token):
        raise csrf.CsrfFailed()
    pending = _pending_mfa(request)
    if pending is None:  # expired (5 minutes) or forged: start again
        return RedirectResponse(auth.LOGIN_PATH, status_code=303)
    try:
        staff = await staff_service.get_staff(int(str(pending["s"])))
    except staff_service.StaffNotFound:
        return RedirectResponse(auth.LOGIN_PATH, status_code=303)
    if not staff.active:
        return RedirectResponse(auth.LOGIN_PATH, status_code=303)
    try:
        await staff_service.mfa_check(user=staff, code=code, ip=auth.client_ip(request))
    except (staff_service.MfaWrongCode, staff_service.MfaTooManyCodes) as exc:
        return await _mfa_login_page(request, error=exc.message_zh, status_code=exc.status)
    return await _finish_login(request, staff, username=str(pending.get("u", "")), next_url=str(pending.get("n", "/console")))


@router.post("/console/logout")
async def logout(request: Request, user: Annotated[ConsoleUser, Depends(require_login)]) -> Response:
    await sessions.end_session(user.session_token)
    await staff_service.audit(actor=user.actor, action="logout", target_type="staff", target_id=user.staff.id,
                              ip=auth.client_ip(request))
    response = RedirectResponse(auth.LOGIN_PATH, status_code=303)
    auth.clear_session_cookie(response)
    return response


@router.get("/console/password")
async def password_form(request: Request, user: Annotated[ConsoleUser, Depends(require_login)]) -> Response:
    return render(request, "console/password.html", {"min_len": get_settings().password_min_length,
                                                     "rule": staff_service.password_rule_zh()}, user=user)


@router.post("/console/password")
async def change_password(request: Request, user: Annotated[ConsoleUser, Depends(require_login)],
                          old_password: Annotated[str, Form(max_length=256)] = "",
                          new_password: Annotated[str, Form(max_length=256)] = "",
                          confirm: Annotated[str, Form(max_length=256)] = "") -> Response:
    try:
        await staff_service.change_password(staff_id=user.staff.id, old_password=old_password,
                                            new_password=new_password, confirm=confirm, ip=auth.client_ip(request))
    except FawuError as exc:
        return render(request, "console/password.html",
                      {"min_len": get_settings().password_min_length, "rule": staff_service.password_rule_zh(),
                       "error": exc.message_zh}, user=user,
                      status_code=exc.status)
    await sessions.end_other_sessions(staff_id=user.staff.id, keep_token=user.session_token)
    return RedirectResponse("/console/inbox?notice=password", status_code=303)


def _qr_data_uri(text: str) -> str:
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


@router.get("/console/mfa")
async def mfa_page(request: Request, user: Annotated[ConsoleUser, Depends(require_login)]) -> Response:
    return render(request, "console/mfa.html", {
        "enrolled": user.staff.totp_enabled_at is not None,
        "required": staff_service.mfa_required_for(user.staff.role)}, user=user)


@router.post("/console/mfa/start")
async def mfa_start(request: Request, user: Annotated[ConsoleUser, Depends(require_login)]) -> Response:
    try:
        new = await staff_service.mfa_start_enrolment(user=user.staff)
    except FawuError as exc:
        return render(request, "console/mfa.html", {"enrolled": True, "error": exc.message_zh}, user=user,
                      status_code=exc.status)
    return render(request, "console/mfa.html", {"enrolled": False, "secret": new["secret"],
                                                "qr": _qr_data_uri(new["uri"])}, user=user)


@router.post("/console/mfa/confirm")
async def mfa_confirm(request: Request, user: Annotated[ConsoleUser, Depends(require_login)],
                      code: Annotated[str, Form(max_length=16)] = "") -> Response:
    try:
        codes = await staff_service.mfa_confirm_enrolment(user=user.staff, code=code, ip=auth.client_ip(request))
    except FawuError as exc:
        return render(request, "console/mfa.html", {"enrolled": False, "error": exc.message_zh, "retry": True},
                      user=user, status_code=exc.status)
    return render(request, "console/mfa.html", {"enrolled": True, "recovery_codes": codes}, user=user)
