"""CSRF for console pages: a session-bound token on every unsafe request (form field ``csrf_token`` or
header ``X-CSRF-Token``), and a double-submit cookie for the login form before there is a session."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from starlette.datastructures import FormData

from app.config import get_settings
from app.errors import Forbidden

LOGIN_CSRF_COOKIE = "fawu_login_csrf"
LOGIN_PATH = "/console/login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message_zh = "安全校验未通过（页面可能已过期），请刷新页面后重新提交。"


def login_csrf_token(request: Request) -> str:
    """Pre-login CSRF (double submit): the login form echoes this cookie's value."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path=LOGIN_PATH, httponly=True,
                        samesite="strict", secure=settings.cookie_secure)


async def submitted_csrf(request: Request) -> str:
    """The CSRF token a request carries (header first, then the form field)."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form: FormData = await request.form()  # cached by Starlette: the route reads it again
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def tokens_match(expected: str | None, sent: str | None) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(str(expected), str(sent))


async def check_csrf(request: Request, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    if not tokens_match(expected, await submitted_csrf(request)):
        raise CsrfFailed()
