"""The emulator's control API (/_control/*): followers, interactions, faults, clock, what was sent."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.emulator.api import (
    MSG_TEXT,
    Handler,
    Refusal,
    st,
)
from app.emulator.state import (
    TOKEN_OVERLAP,
    AccountState,
    EmulatorState,
    Fault,
)

control = APIRouter(prefix="/_control", include_in_schema=False)


def _acc(state: EmulatorState, data: dict[str, Any]) -> AccountState:
    acc = state.by_key(str(data.get("account_key") or data.get("appid") or ""))
    if acc is None:
        raise Refusal(40013)
    return acc


async def _control_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else {}


def _controlled(fn: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except Refusal as exc:
            return JSONResponse({"errcode": exc.errcode, "errmsg": exc.errmsg}, status_code=400)
        except (ValueError, KeyError) as exc:
            return JSONResponse({"errcode": 40097, "errmsg": f"invalid control request: {exc}"}, status_code=400)

    endpoint.__name__ = fn.__name__
    return endpoint


@control.post("/reset")
@_controlled
async def c_reset(request: Request) -> Response:
    st(request).reset()
    return JSONResponse({"ok": True})


@control.post("/followers")
@_controlled
async def c_follower(request: Request) -> Response:
    """Create (or re-subscribe) a follower: {account_key, openid?, nickname?, scene_str?, unionid?, interaction?,
    refuses_templates?}.

    The same person following two accounts of the matrix: two calls, two openids, one ``unionid``."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    f = state.add_follower(acc, openid=data.get("openid"), nickname=str(data.get("nickname", "")),
                           scene_str=str(data.get("scene_str", "")), unionid=str(data.get("unionid") or ""))
    if "refuses_templates" in data:
        f.refuses_templates = bool(data["refuses_templates"])
    if data.get("interaction"):
        state.interact(f, str(data["interaction"]))
    return JSONResponse({"account_key": acc.account.key, **f.public()})


@control.get("/followers")
@_controlled
async def c_followers(request: Request) -> Response:
    state = st(request)
    acc = _acc(state, dict(request.query_params))
    return JSONResponse([f.public() for f in acc.followers.values()])


@control.post("/interactions")
@_controlled
async def c_interaction(request: Request) -> Response:
    """A follower did something: {account_key, openid, kind: message|click|subscribe|scan|unsubscribe}."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    openid = str(data.get("openid", ""))
    f = acc.followers.get(openid)
    if f is None:
        if data.get("kind") not in ("subscribe", "scan", "message", "click"):
            raise Refusal(40003)
        f = state.add_follower(acc, openid=openid or None)
    state.interact(f, str(data.get("kind")))
    return JSONResponse({"account_key": acc.account.key, **f.public()})


@control.post("/templates")
@_controlled
async def c_template(request: Request) -> Response:
    """Add a template id to an account: {account_key, template_id?, subscription: bool}. A test's
    stand-in for the account's template library (api_add_template / newtmpl addtemplate)."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    tid = str(data.get("template_id") or secrets.token_urlsafe(32)[:43])
    (acc.sub_templates if data.get("subscription") else acc.templates).add(tid)
    return JSONResponse({"account_key": acc.account.key, "template_id": tid})


@control.post("/subscriptions")
@_controlled
async def c_subscription(request: Request) -> Response:
    """A resident agreed to a subscription message: {account_key, openid, template_id, kind: once|long}
    (the mini-program's residents under the mini-program's account key)."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    kind = str(data.get("kind", "once"))
    if kind not in ("once", "long"):
        raise ValueError("kind must be once or long")
    acc.subscriptions[(str(data["openid"]), str(data["template_id"]))] = kind
    return JSONResponse({"ok": True})


@control.post("/open_platform")
@_controlled
async def c_open_platform(request: Request) -> Response:
    """Bind an account to an Open Platform account, or unbind it: {account_key, platform (null: unbound)}.
    Only bound accounts get a unionid (jscode2session, user/info), one per person and platform."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    platform = data.get("platform")
    state.open_platforms[acc.account.key] = str(platform) if platform else None
    return JSONResponse({"account_key": acc.account.key, "platform": state.open_platforms[acc.account.key]})


@control.post("/login_codes")
@_controlled
async def c_login_code(request: Request) -> Response:
    data = await _control_json(request)
    return JSONResponse(st(request).mint_code(data.get("openid"), unionid=str(data.get("unionid") or ""),
                                              risky=bool(data.get("risky"))))


@control.post("/faults")
@_controlled
async def c_fault(request: Request) -> Response:
    """Inject: {endpoint ("cgi-bin/message/custom/send" or "*"), kind: errcode|timeout|slow|late, errcode, delay,
    count}; ``late``: the request is carried out but the answer comes after ``delay`` (a lost answer)."""
    data = await _control_json(request)
    kind = str(data.get("kind", "errcode"))
    if kind not in ("errcode", "timeout", "slow", "late"):
        raise ValueError("kind must be errcode, timeout, slow or late")
    code = int(data.get("errcode", -1))
    fault = Fault(endpoint=str(data.get("endpoint", "*")).lstrip("/"), kind=kind, errcode=code,
                  errmsg=str(data.get("errmsg") or MSG_TEXT.get(code, "error")),
                  delay=float(data.get("delay", 30.0 if kind in ("timeout", "late") else 1.0)),
                  remaining=int(data.get("count", 1)))
    st(request).faults.append(fault)
    return JSONResponse(fault.public())


@control.post("/tokens/revoke")
@_controlled
async def c_tokens_revoke(request: Request) -> Response:
    """Make every token of an account invalid now (40001), as when someone else refreshed it long ago:
    {account_key}."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    gone = state.now() - TOKEN_OVERLAP - timedelta(seconds=1)
    revoked = 0
    for tok in state.tokens.values():
        if tok.appid == acc.account.appid and tok.status(state.now()) == 0:
            tok.superseded_at = gone
            revoked += 1
    return JSONResponse({"revoked": revoked})


@control.delete("/faults")
@_controlled
async def c_faults_clear(request: Request) -> Response:
    st(request).faults.clear()
    return JSONResponse({"ok": True})


@control.post("/clock")
@_controlled
async def c_clock(request: Request) -> Response:
    """Advance the emulator's clock: {seconds}."""
    state = st(request)
    data = await _control_json(request)
    state.offset += timedelta(seconds=float(data.get("seconds", 0)))
    return JSONResponse({"now": state.now().isoformat()})


@control.get("/sent")
@_controlled
async def c_sent(request: Request) -> Response:
    """What was sent: ?kind=custom|template|bizsend|mp_subscribe|mass|menu|qrcode|draft|publish|material|wxacode."""
    state = st(request)
    kind = request.query_params.get("kind")
    key = request.query_params.get("account_key")
    items = state.sent.get(kind, []) if kind else [i for v in state.sent.values() for i in v]
    if key:
        items = [i for i in items if i.get("account_key") == key]
    return JSONResponse(items)


@control.get("/state")
@_controlled
async def c_state(request: Request) -> Response:
    state = st(request)
    return JSONResponse({
        "calls": state.calls, "faults": [f.public() for f in state.faults], "now": state.now().isoformat(),
        "accounts": {a.account.key: {
            "appid": a.account.appid, "kind": a.account.kind, "followers": len(a.followers),
            "token_calls_today": a.token_calls.get(state.day(), 0),
            "stable_forces_today": a.stable_forces.get(state.day(), 0),
            "tokens": {s: t.value for s, t in a.current.items()}, "menu": a.menu,
            "permanent_qrcodes": len(a.permanent_scenes)} for a in state.accounts.values()},
    })


@control.get("/callbacks")
@_controlled
async def c_callbacks(request: Request) -> Response:
    return JSONResponse(st(request).callbacks)


@control.post("/flush")
@_controlled
async def c_flush(request: Request) -> Response:
    """Wait until every pending postback (MASSSENDJOBFINISH) went out."""
    state = st(request)
    while state.pending:
        await asyncio.gather(*list(state.pending), return_exceptions=True)
    return JSONResponse({"callbacks": len(state.callbacks)})
