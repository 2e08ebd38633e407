"""Demo-only pages: /demo/chat, a phone-like chat with any account of the matrix via the simulator."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.config import get_settings
from app.emulator.simulator import chat_turn
from app.errors import InvalidInput, NotFound
from app.matrix.service import get_matrix
from app.web import templates

router = APIRouter(include_in_schema=False)


def _demo_only() -> None:
    if not get_settings().demo:
        raise NotFound()


def _menu_items(menu: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for b in menu:
        subs = b.get("sub_button") or [b]
        out.append({"name": b.get("name", ""), "items": [
            {"name": s.get("name", ""), "type": s.get("type", ""), "key": s.get("key") or s.get("url") or ""}
            for s in subs if s.get("type") in ("click", "view", "scancode_push", "scancode_waitmsg")]})
    return out


@router.get("/demo/chat", response_class=HTMLResponse)
async def chat_page(request: Request) -> Response:
    _demo_only()
    accounts = [{"key": a.key, "name": a.display_name, "mode": a.encryption_mode, "menu": _menu_items(a.menu)}
                for a in get_matrix().official_accounts()]
    return templates.TemplateResponse(request, "emulator/chat.html", {
        "accounts": accounts, "openid": "o_demo_" + secrets.token_hex(6)})


@router.post("/demo/chat/send")
async def chat_send(request: Request) -> Response:
    _demo_only()
    try:
        data = await request.json()
    except ValueError as exc:
        raise InvalidInput("请求格式不对。") from exc
    if not isinstance(data, dict):
        raise InvalidInput("请求格式不对。")
    acc = get_matrix().get(str(data.get("account_key", "")))
    if acc is None or acc.is_miniprogram:
        raise NotFound("没有这个公众号。")
    openid = str(data.get("openid") or "")[:64]
    kind = data.get("kind")
    if not openid or kind not in ("text", "event"):
        raise InvalidInput("缺少 openid 或消息类型。")
    text = str(data.get("text") or "")[:600]
    if kind == "text" and not text.strip():
        raise InvalidInput("请输入内容。")
    result = await chat_turn(request.app, acc, openid=openid, kind=kind, text=text,
                             event=str(data.get("event") or "")[:48], event_key=data.get("event_key") or None)
    return JSONResponse(result)
