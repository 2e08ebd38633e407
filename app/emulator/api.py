"""The emulator's API plumbing: WeChat's error JSON (Refusal), the token check, the shared router."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.emulator.state import AccountState, EmulatorState, Follower, rid

JSON_TYPE = "application/json; encoding=utf-8"
WXACODE_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
MENU_TYPES = {"click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "location_select",
              "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "media_id", "article_id", "article_view_limited"}
MSG_TEXT = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40007: "invalid media_id", 40013: "invalid appid",
    40016: "invalid button size", 40020: "invalid button url size", 40026: "invalid sub button key size",
    40054: "invalid sub button url domain", 40055: "invalid button url domain", 43101: "user refuse to accept the msg",
    45002: "content size out of limit", 45067: "clientmsgid size out of limit", 47003: "argument invalid!",
    40004: "invalid media type", 40006: "invalid meida size", 41005: "media data missing", 40017: "invalid button type", 40018: "invalid button name size",
    40019: "invalid button key size", 40023: "invalid sub button size", 40024: "invalid sub button type",
    40025: "invalid sub button name size", 40027: "invalid sub button url size", 40029: "invalid code",
    40032: "invalid openid list size", 40037: "invalid template_id", 40097: "invalid args",
    40125: "invalid appsecret", 40130: "invalid openid list size, at least two openid",
    40163: "code been used", 40169: "invalid length for scene, or the data is not json string",
    41001: "access_token missing", 41030: "invalid page", 42001: "access_token expired",
    43004: "require subscribe", 44002: "empty post data", 44003: "empty news data", 44004: "empty content",
    45008: "article size out of limit", 45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled", 45028: "has no masssend quota",
    45029: "qrcode count out of limit", 45047: "out of response count limit", 45065: "clientmsgid exist",
    45103: "This API has been unsupported", 45157: "invalid tag name", 45158: "tag name too long",
    45159: "invalid tag id", 46003: "menu no exist", 47001: "data format error", 48001: "api unauthorized",
}


class Refusal(Exception):
    """WeChat's answer with a non-zero errcode."""

    extra: dict[str, Any] = {}  # further fields WeChat puts in this answer (e.g. 45065's msg_id)

    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or MSG_TEXT.get(errcode, "error")


def wx(data: dict[str, Any] | None = None, **kw: Any) -> JSONResponse:
    body = {"errcode": 0, "errmsg": "ok"} if data is None and not kw else {**(data or {}), **kw}
    return JSONResponse(body, media_type=JSON_TYPE)


def refuse(errcode: int, errmsg: str | None = None, extra: dict[str, Any] | None = None) -> JSONResponse:
    text = errmsg or MSG_TEXT.get(errcode, "error")
    return JSONResponse({"errcode": errcode, "errmsg": f"{text} rid: {rid()}", **(extra or {})},
                        media_type=JSON_TYPE)


def st(request: Request) -> EmulatorState:
    return request.app.state.emu  # type: ignore[no-any-return]


async def body_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise Refusal(44002)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refusal(47001) from exc
    if not isinstance(data, dict):
        raise Refusal(47001)
    return data


def authed(request: Request) -> AccountState:
    """The account of the access_token in the query string (41001 / 40001 / 42001)."""
    state = st(request)
    value = request.query_params.get("access_token")
    if not value:
        raise Refusal(41001)
    tok = state.tokens.get(value)
    if tok is None:
        raise Refusal(40001)
    code = tok.status(state.now())
    if code:
        raise Refusal(code)
    return state.accounts[tok.appid]


def official(acc: AccountState) -> None:
    if acc.account.is_miniprogram:
        raise Refusal(48001)


def service_only(acc: AccountState) -> None:
    if acc.account.kind != "service":
        raise Refusal(48001)


def follower(acc: AccountState, openid: Any) -> Follower:
    f = acc.followers.get(str(openid or ""))
    if f is None:
        raise Refusal(40003)
    return f


Handler = Callable[[Request], Awaitable[Response]]
router = APIRouter()


def api(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register an API endpoint: Refusal becomes WeChat's error JSON."""

    def deco(fn: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                return await fn(request)
            except Refusal as exc:
                return refuse(exc.errcode, exc.errmsg, exc.extra)

        endpoint.__name__ = fn.__name__
        router.add_api_route(path, endpoint, methods=[method], include_in_schema=False)
        return fn

    return deco

def credentials(state: EmulatorState, appid: Any, secret: Any, grant_type: Any) -> AccountState:
    """The account of an appid/secret pair (40002 / 41002 / 41004 / 40013 / 40125)."""
    if grant_type != "client_credential":
        raise Refusal(40002)
    if not appid:
        raise Refusal(41002, "appid missing")
    if not secret:
        raise Refusal(41004, "appsecret missing")
    acc = state.accounts.get(str(appid or ""))
    if acc is None:
        raise Refusal(40013)
    if not secret or not secrets.compare_digest(str(secret), acc.account.secret):
        raise Refusal(40125)
    return acc
