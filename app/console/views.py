"""Console pages: login, password change, logout (the dashboard, staff and case pages are their own routers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

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
async def console_home() -> Response:
    return RedirectResponse("/console/inbox", status_code=303)


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
    old = request.cookies.get(auth.SESSION_COOKIE)
    await sessions.end_session(old)  # a fresh token at every login (no session fixation)
    token, _ = await sessions.create_session(
        staff_id=staff.id, max_age=settings.session_max_age, ip=auth.client_ip(request),
        user_agent=request.headers.get("user-agent", ""))
    target = auth.PASSWORD_PATH if staff.must_change_password else auth.safe_next(next)
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, token)
    response.delete_cookie(csrf.LOGIN_CSRF_COOKIE, path=auth.LOGIN_PATH)
    # this browser has logged in to this account: its own failure count, past the backstop
    response.set_cookie(DEVICE_COOKIE, staff_service.device_token(username), max_age=DEVICE_COOKIE_AGE,
                        path=auth.LOGIN_PATH, httponly=True, samesite="strict", secure=settings.cookie_secure)
    return response


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
    return render(request, "console/password.html", {"min_len": staff_service.MIN_PASSWORD_LEN}, user=user)


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
                      {"min_len": staff_service.MIN_PASSWORD_LEN, "error": exc.message_zh}, user=user,
                      status_code=exc.status)
    await sessions.end_other_sessions(staff_id=user.staff.id, keep_token=user.session_token)
    return RedirectResponse("/console/inbox?notice=password", status_code=303)
