"""Emulated menus, users and tags."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.emulator.api import (
    MENU_TYPES,
    Refusal,
    api,
    authed,
    body_json,
    follower,
    official,
    st,
    wx,
)
from app.emulator.state import (
    AccountState,
    EmulatorState,
    Follower,
)


def _check_menu(data: dict[str, Any]) -> None:
    buttons = data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise Refusal(40016)
    for b in buttons:
        if not isinstance(b, dict) or not b.get("name") or len(str(b["name"]).encode()) > 16:
            raise Refusal(40018)
        subs = b.get("sub_button") or []
        if subs:
            if len(subs) > 5:
                raise Refusal(40023)
            for s in subs:
                if not isinstance(s, dict) or not s.get("name") or len(str(s["name"]).encode()) > 60:
                    raise Refusal(40025)
                _check_leaf(s, sub=True)
        else:
            _check_leaf(b, sub=False)


def _check_leaf(b: dict[str, Any], *, sub: bool) -> None:
    """One button's type, key and URL, with WeChat's codes: the button and sub-button codes differ
    (key length 40019 / 40026, URL length 40020 / 40027, URL domain 40055 / 40054)."""
    t = b.get("type")
    if t not in MENU_TYPES:
        raise Refusal(40024 if sub else 40017)
    if t in ("click", "scancode_push", "scancode_waitmsg", "location_select", "pic_sysphoto",
             "pic_photo_or_album", "pic_weixin") and not 1 <= len(str(b.get("key", "")).encode()) <= 128:
        raise Refusal(40026 if sub else 40019)
    if t in ("view", "miniprogram"):
        url = str(b.get("url", ""))
        if not url or len(url.encode()) > 1024:
            raise Refusal(40027 if sub else 40020)
        if not re.match(r"^https?://[^/\s]+", url):
            raise Refusal(40054 if sub else 40055)
    if t == "miniprogram" and not (b.get("appid") and b.get("pagepath")):
        raise Refusal(40097)


@api("POST", "/cgi-bin/menu/create")
async def menu_create(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    _check_menu(data)
    acc.menu_id += 1
    acc.menu = {"button": data["button"]}
    state.record("menu", {"account_key": acc.account.key, "menu": acc.menu})
    return wx()


@api("GET", "/cgi-bin/menu/get")
async def menu_get(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    if acc.menu is None:
        raise Refusal(46003)
    return wx({"menu": {**acc.menu, "menuid": acc.menu_id}})


@api("GET", "/cgi-bin/menu/delete")
async def menu_delete(request: Request) -> Response:
    """Delete the menu (and its personalised menus); deleting when there is none is fine too."""
    state = st(request)
    acc = authed(request)
    official(acc)
    acc.menu = None
    state.record("menu", {"account_key": acc.account.key, "menu": None})
    return wx()


USER_GET_PAGE = 10_000  # "一次拉取调用最多拉取10000个关注者的OpenID"


@api("GET", "/cgi-bin/user/get")
async def user_get(request: Request) -> Response:
    """The followers' openids, 10,000 a call, continued from ``next_openid`` (followers in the order they came)."""
    acc = authed(request)
    official(acc)
    following = [o for o, f in acc.followers.items() if f.subscribed]
    after = request.query_params.get("next_openid", "")
    start = 0
    if after:
        if after not in following:
            raise Refusal(40003)  # undocumented choice: a next_openid that is no follower
        start = following.index(after) + 1
    page = following[start:start + USER_GET_PAGE]
    if not page:  # undocumented choice: past the end WeChat answers count 0 and an empty next_openid
        return wx({"total": len(following), "count": 0, "next_openid": ""})
    return wx({"total": len(following), "count": len(page), "data": {"openid": page}, "next_openid": page[-1]})


def _user(state: EmulatorState, acc: AccountState, f: Follower, lang: str) -> dict[str, Any]:
    """As WeChat: ``unionid`` only when the account is bound to an Open Platform account (per platform)."""
    uid = state.unionid_for(acc.account.key, f.unionid)
    union = {"unionid": uid} if uid else {}
    if not f.subscribed:
        return {"subscribe": 0, "openid": f.openid, **union}
    return {"subscribe": 1, "openid": f.openid, "language": lang or "zh_CN", "subscribe_time": f.subscribe_time,
            "remark": "", "groupid": 0, "tagid_list": sorted(f.tags), "subscribe_scene": f.subscribe_scene,
            "qr_scene": 0, "qr_scene_str": f.qr_scene_str, **union}


@api("GET", "/cgi-bin/user/info")
async def user_info(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    f = follower(acc, request.query_params.get("openid"))
    return wx(_user(st(request), acc, f, request.query_params.get("lang", "zh_CN")))


@api("POST", "/cgi-bin/user/info/batchget")
async def user_batchget(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    users = data.get("user_list")
    if not isinstance(users, list) or not 1 <= len(users) <= 100:
        raise Refusal(40097, "invalid args: user_list 1-100")
    out = [_user(st(request), acc, follower(acc, u.get("openid") if isinstance(u, dict) else None),
                 u.get("lang", "zh_CN")) for u in users]
    return wx({"user_info_list": out})


@api("POST", "/cgi-bin/tags/create")
async def tags_create(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    name = str((data.get("tag") or {}).get("name", "")) if isinstance(data.get("tag"), dict) else ""
    if not name:
        raise Refusal(45157)
    if len(name.encode()) > 30:
        raise Refusal(45158)
    if name in acc.tags.values():
        raise Refusal(45157)
    if len(acc.tags) >= 100:
        raise Refusal(45056, "too many tags")
    acc.next_tag_id += 1
    acc.tags[acc.next_tag_id] = name
    return wx({"tag": {"id": acc.next_tag_id, "name": name}})


@api("GET", "/cgi-bin/tags/get")
async def tags_get(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    tags = [{"id": i, "name": n, "count": sum(1 for f in acc.followers.values() if i in f.tags)}
            for i, n in sorted(acc.tags.items())]
    return wx({"tags": tags})


@api("POST", "/cgi-bin/tags/delete")
async def tags_delete(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    tag = data.get("tag")
    try:
        tag_id = int(tag.get("id")) if isinstance(tag, dict) else None  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise Refusal(45159) from exc
    if tag_id in (0, 1, 2):
        raise Refusal(45058, "can't modify sys tag")
    if tag_id is None or tag_id not in acc.tags:
        raise Refusal(45159)
    del acc.tags[tag_id]
    for f in acc.followers.values():
        f.tags.discard(tag_id)
    return wx()


@api("POST", "/cgi-bin/tags/members/batchtagging")
async def tags_batchtagging(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    openids = data.get("openid_list")
    if not isinstance(openids, list) or not 1 <= len(openids) <= 50:
        raise Refusal(40032)
    try:
        tag_id = int(data.get("tagid"))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise Refusal(45159) from exc
    if tag_id not in acc.tags:
        raise Refusal(45159)
    people = [follower(acc, o) for o in openids]
    for f in people:
        f.tags.add(tag_id)
    return wx()
