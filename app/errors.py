"""One error base for fawu, with a Chinese message for users, and its renderers."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from tortoise.exceptions import ValidationError

from app.core import metrics
from app.web import templates

log = logging.getLogger("fawu.errors")


class FawuError(Exception):
    """A domain error: a stable code, a message in Chinese for residents and staff, an HTTP status."""

    code: str = "error"
    message_zh: str = "操作未能完成，请稍后再试。"
    status: int = 400
    headers: dict[str, str] = {}  # e.g. Retry-After of a 429

    def __init__(self, message_zh: str | None = None, *, code: str | None = None, status: int | None = None,
                 **details: Any) -> None:
        self.message_zh = message_zh or self.message_zh
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        super().__init__(f"{self.code}: {self.message_zh}")


class NotFound(FawuError):
    code = "not_found"
    message_zh = "没有找到您要的内容。"
    status = 404


class Forbidden(FawuError):
    code = "forbidden"
    message_zh = "您没有权限进行此操作。"
    status = 403


class NotAuthenticated(FawuError):
    code = "not_authenticated"
    message_zh = "请先登录。"
    status = 401


class InvalidInput(FawuError):
    code = "invalid_input"
    message_zh = "填写的内容有误，请检查后重试。"
    status = 400


class Conflict(FawuError):
    code = "conflict"
    message_zh = "操作与当前状态冲突，请刷新后重试。"
    status = 409


# What a resident reads on WeChat when something unexpected failed (never for a domain error).
BUSY_ZH = "系统繁忙，请稍后再试。如有急事请拨打公共法律服务热线 12348。"


def wechat_text(exc: BaseException) -> str:
    """The WeChat rendering: a domain error's Chinese message; "busy" only for the unexpected."""
    return exc.message_zh if isinstance(exc, FawuError) else BUSY_ZH


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/wechat/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def render_error(request: Request, exc: FawuError) -> Response:
    """Render a FawuError for whoever asked: WeChat callback, console page, or JSON API."""
    if request.url.path.startswith("/wechat/"):
        # WeChat retries on any non-200: the callback answers 200 "success". Handlers' domain errors
        # never get here: the callback renders them as a text reply with ``wechat_text``.
        return PlainTextResponse("success")
    if _wants_html(request):
        return templates.TemplateResponse(
            request, "error.html", {"message": exc.message_zh, "code": exc.code, "status": exc.status},
            status_code=exc.status, headers=exc.headers or None,
        )
    return JSONResponse({"error": {"code": exc.code, "message": exc.message_zh, **exc.details}},
                        status_code=exc.status, headers=exc.headers or None)


def redacted_traceback(exc: BaseException) -> str:
    """Where an error happened (types, files, lines), without any exception message: messages
    quote values (what a user typed, SQL parameters), and a log line must not."""
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        # fawu's own frames and the innermost one (where it was raised)
        shown = [f for f in frames[:-1] if "/app/" in f.filename] + frames[-1:]
        out.append(f"{type(current).__module__}.{type(current).__qualname__} at "
                   + " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in reversed(shown)))
        current = current.__cause__ or current.__context__
    return " | caused by ".join(out)


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FawuError)
    async def _fawu_error(request: Request, exc: FawuError) -> Response:
        return render_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        err = InvalidInput("填写的内容有误：" + "、".join(fields[:5]), fields=fields)
        return render_error(request, err)

    @app.exception_handler(ValidationError)
    @app.exception_handler(OverflowError)
    async def _value_does_not_fit(request: Request, exc: Exception) -> Response:
        # a value a model field cannot hold (too long, out of range) reached a query: the input is
        # wrong, not the server; the value itself is never logged
        field = str(exc).split(":", 1)[0] if isinstance(exc, ValidationError) and ":" in str(exc) else ""
        log.warning("input does not fit the database on %s (%s %s)", request.url.path, type(exc).__name__,
                    field if field.isidentifier() else "")
        return render_error(request, InvalidInput("填写的内容过长或格式不对，请检查后重试。"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # counted like metrics.caught, but logged without the exception's message (it may quote what
        # was typed): the type, files and lines say where
        metrics.errors_swallowed.labels("http.unhandled").inc()
        log.error("[http.unhandled] unhandled error on %s: %s", request.url.path, redacted_traceback(exc))
        if request.url.path.startswith("/wechat/"):
            return PlainTextResponse("success")
        if _wants_html(request):
            return HTMLResponse("<h1>系统繁忙</h1><p>请稍后再试，或拨打 12348 公共法律服务热线。</p>", status_code=500)
        return JSONResponse({"error": {"code": "internal", "message": "系统繁忙，请稍后再试。"}}, status_code=500)
