"""Demo-only pages: /demo/chat, a phone-like chat with any account of the matrix via the simulator."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.config import get_settings
from app.emulator.embedded import points_at_emulator
from app.emulator.simulator import chat_turn
from app.errors import InvalidInput, NotFound
from app.matrix.service import get_matrix
from app.web import templates
from app.wechat.client import get_client

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
                             event=str(data.get("event") or "")[:48], event_key=data.get("event_key") or None,
                             emulator=_emulator())
    return JSONResponse(result)


def _emulator() -> httpx.AsyncClient | None:
    """The loopback WeChat's API (the app's own WeChat client), when the API base is the emulator."""
    return get_client().http if points_at_emulator(get_settings()) else None


@router.get("/demo/chat/pushed")
async def chat_pushed(request: Request, account_key: str = "", openid: str = "", after: int = 0) -> Response:
    """What the backend sent this resident later (customer-service messages the emulator received), from
    the ``after``-th on: the page polls it so a clerk's reply or a late answer shows in the chat."""
    _demo_only()
    emu = _emulator()
    if emu is None or not openid or after < 0:
        return JSONResponse({"items": [], "next": after})
    try:
        r = await emu.get("/_control/sent", params={"kind": "custom", "account_key": account_key[:32]})
        sent = [m for m in r.json() if m.get("openid") == openid[:64]] if r.status_code == 200 else []
    except (httpx.HTTPError, ValueError):
        sent = []
    items: list[dict[str, Any]] = []
    for m in sent[after:]:
        if m.get("msgtype") == "text":
            items.append({"text": str((m.get("text") or {}).get("content", ""))})
        elif m.get("msgtype") == "news":
            items.append({"articles": [{"title": a.get("title", ""), "url": a.get("url", "")}
                                       for a in (m.get("news") or {}).get("articles", [])]})
        else:
            items.append({"text": f"[{m.get('msgtype')}]"})
    return JSONResponse({"items": items, "next": after + len(items)})


@router.post("/demo/mp/login-code")
async def mp_login_code(request: Request) -> Response:
    """Demo only: a wx.login code minted by the loopback WeChat, for the mini-program in WeChat's
    developer tools against ``make run`` (its own wx.login code is real WeChat's, unknown to the
    emulator). Keep ``device`` to come back as the same openid. Off outside demo mode."""
    _demo_only()
    emu = _emulator()
    if emu is None:
        raise NotFound("演示环境未连接微信模拟器。")
    try:
        data = await request.json()
    except ValueError:
        data = {}
    device = str((data or {}).get("device") or "")[:20] if isinstance(data, dict) else ""
    openid = _demo_openid(device) or None
    try:
        r = await emu.post("/_control/login_codes", json={"openid": openid} if openid else {})
        minted = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise NotFound("演示环境未连接微信模拟器。") from exc
    return JSONResponse({"code": minted["code"]})


def _demo_openid(device: str) -> str:
    return ("o_mpdemo_" + "".join(ch for ch in device if ch.isalnum())[:20]) if device else ""


@router.post("/demo/mp/subscribe")
async def mp_subscribe(request: Request) -> Response:
    """Demo only: what the developer tools' wx.requestSubscribeMessage would tell WeChat (the resident
    of ``device`` accepted these templates), told to the loopback WeChat, so the demo's subscribe
    messages are sent instead of refused (43101)."""
    _demo_only()
    emu = _emulator()
    try:
        data = await request.json()
    except ValueError as exc:
        raise InvalidInput("请求格式不对。") from exc
    if emu is None or not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise InvalidInput("请求格式不对。")
    openid = _demo_openid(str(data.get("device") or "")[:20])
    if not openid:
        raise InvalidInput("缺少设备标识。")
    mp = get_matrix().miniprogram()
    if mp is None:
        raise NotFound("没有配置小程序。")
    accepted = [str(t)[:64] for t, v in list(data["results"].items())[:10] if v == "accept"]
    for tid in accepted:
        try:
            await emu.post("/_control/subscriptions", json={"account_key": mp.key, "openid": openid,
                                                            "template_id": tid, "kind": "once"})
        except httpx.HTTPError as exc:
            raise NotFound("演示环境未连接微信模拟器。") from exc
    return JSONResponse({"accepted": accepted})
