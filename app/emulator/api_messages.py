"""Emulated customer-service, template and subscription messages."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from app.emulator.api import (
    Refusal,
    api,
    authed,
    body_json,
    follower,
    official,
    service_only,
    st,
    wx,
)
from app.emulator.api_templates import check_values, known_template, spend_subscription

# the field of each media message that names its media (temporary media or permanent material)
MEDIA_KEYS = {"image": "media_id", "voice": "media_id", "video": "media_id", "music": "thumb_media_id"}


@api("POST", "/cgi-bin/message/custom/send")
async def custom_send(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    f = follower(acc, data.get("touser"))
    msgtype = data.get("msgtype")
    part = data.get(str(msgtype)) if isinstance(msgtype, str) else None
    if not isinstance(part, dict):
        raise Refusal(40008, "invalid message type")
    if msgtype == "text":
        if not str(part.get("content", "")).strip():
            raise Refusal(44004)
        if len(str(part["content"]).encode("utf-8")) > 2048:
            raise Refusal(45002, "content size out of limit")
    elif msgtype == "news":
        arts = part.get("articles")
        if not isinstance(arts, list) or not arts:
            raise Refusal(44003)
        if len(arts) > 1:
            raise Refusal(45008)
    elif msgtype == "miniprogrampage":
        mp = next((a for a in state.accounts.values() if a.account.is_miniprogram), None)
        if not part.get("title") or not part.get("pagepath") or not part.get("thumb_media_id"):
            raise Refusal(40097)
        if mp is None or part.get("appid") != mp.account.appid:
            raise Refusal(40013)
        if not acc.has_media(part["thumb_media_id"], state.now()):
            raise Refusal(40007)
    elif msgtype in MEDIA_KEYS:
        if not acc.has_media(part.get(MEDIA_KEYS[msgtype]), state.now()):
            raise Refusal(40007)
    elif msgtype == "mpnews":
        if str(part.get("media_id", "")) not in acc.drafts and not acc.has_media(part.get("media_id"), state.now()):
            raise Refusal(40007)
    elif msgtype not in ("msgmenu", "wxcard", "mpnewsarticle"):
        raise Refusal(40008, "invalid message type")
    code = state.consume_window(f)
    if code:
        raise Refusal(code)
    state.record("custom", {"account_key": acc.account.key, "openid": f.openid, "msgtype": msgtype, msgtype: part})
    return wx()


@api("POST", "/cgi-bin/message/template/send")
async def template_send(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    service_only(acc)
    data = await body_json(request)
    f = follower(acc, data.get("touser"))
    if not f.subscribed:
        raise Refusal(43004)
    known_template(acc, data.get("template_id"), subscription=False)
    payload = data.get("data")
    if isinstance(payload, dict):  # removed since 2023-05: filtered before the values are checked
        payload = {k: v for k, v in payload.items() if k not in ("first", "remark")}
    # undocumented choice: template messages' typed keys (thing1 ...) follow the subscription rules
    payload = check_values(payload)
    if f.refuses_templates:
        raise Refusal(43101)
    msgid = state.msg_id()
    state.record("template", {"account_key": acc.account.key, "openid": f.openid, "msgid": msgid,
                              "template_id": data["template_id"], "data": payload, "url": data.get("url"),
                              "miniprogram": data.get("miniprogram")})
    return wx({"errcode": 0, "errmsg": "ok", "msgid": msgid})


@api("POST", "/cgi-bin/message/subscribe/bizsend")
async def subscribe_bizsend(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    service_only(acc)
    data = await body_json(request)
    f = follower(acc, data.get("touser"))
    tid = known_template(acc, data.get("template_id"), subscription=True)
    check_values(data.get("data"))
    spend_subscription(acc, f.openid, tid)
    state.record("bizsend", {"account_key": acc.account.key, "openid": f.openid, "template_id": data["template_id"],
                             "data": data["data"], "page": data.get("page")})
    return wx()


@api("POST", "/cgi-bin/message/subscribe/send")
async def mp_subscribe_send(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    if not acc.account.is_miniprogram:
        raise Refusal(48001)
    data = await body_json(request)
    if str(data.get("touser", "")) not in state.mp_users:
        raise Refusal(40003)
    tid = known_template(acc, data.get("template_id"), subscription=True)
    check_values(data.get("data"))
    spend_subscription(acc, str(data["touser"]), tid)
    state.record("mp_subscribe", {"openid": data["touser"], "template_id": data["template_id"],
                                  "data": data["data"], "page": data.get("page")})
    return wx()
