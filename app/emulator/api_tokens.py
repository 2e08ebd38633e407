"""Emulated token endpoints: /cgi-bin/token, stable_token, clear_quota."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from app.emulator.api import (
    Refusal,
    api,
    authed,
    body_json,
    credentials,
    st,
    wx,
)
from app.emulator.state import (
    STABLE_EARLY,
    STABLE_FORCE_GAP,
    STABLE_FORCE_PER_DAY,
)


@api("GET", "/cgi-bin/token")
async def get_token(request: Request) -> Response:
    state = st(request)
    q = request.query_params
    acc = credentials(state, q.get("appid"), q.get("secret"), q.get("grant_type"))
    day = state.day()
    if acc.token_calls.get(day, 0) >= state.token_daily_quota:
        raise Refusal(45009)
    acc.token_calls[day] = acc.token_calls.get(day, 0) + 1
    tok = state.issue(acc, "token")
    return wx({"access_token": tok.value, "expires_in": round((tok.expires_at - state.now()).total_seconds())})


@api("POST", "/cgi-bin/stable_token")
async def stable_token(request: Request) -> Response:
    state = st(request)
    data = await body_json(request)
    acc = credentials(state, data.get("appid"), data.get("secret"), data.get("grant_type"))
    now = state.now()
    force = data.get("force_refresh", False)
    if not isinstance(force, bool):
        raise Refusal(40097)
    cur = acc.current.get("stable")
    if force:
        day = state.day()
        if acc.stable_forces.get(day, 0) >= STABLE_FORCE_PER_DAY:
            raise Refusal(45009)
        if acc.last_force_at is None or now - acc.last_force_at >= STABLE_FORCE_GAP or cur is None:
            acc.stable_forces[day] = acc.stable_forces.get(day, 0) + 1
            acc.last_force_at = now
            cur = state.issue(acc, "stable")
        # else: within 30 s of the last forced refresh WeChat does not refresh again
    elif cur is None or cur.expires_at - now <= STABLE_EARLY or cur.status(now):
        cur = state.issue(acc, "stable")
    return wx({"access_token": cur.value, "expires_in": round((cur.expires_at - now).total_seconds())})


@api("POST", "/cgi-bin/clear_quota")
async def clear_quota(request: Request) -> Response:
    """Reset the account's API call counts for today (WeChat allows this a few times a month)."""
    state = st(request)
    acc = authed(request)
    data = await body_json(request)
    if data.get("appid") != acc.account.appid:
        raise Refusal(40013)
    acc.token_calls.pop(state.day(), None)
    return wx()
