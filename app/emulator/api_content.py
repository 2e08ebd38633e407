"""Emulated drafts, publishing, material, QR codes and mini-program endpoints."""

from __future__ import annotations

import asyncio
import io
import secrets
from datetime import timedelta
from typing import Any

import qrcode
from fastapi import Request
from fastapi.responses import Response

from app.emulator.api import (
    WXACODE_SCENE_RE,
    Refusal,
    api,
    authed,
    body_json,
    credentials,
    official,
    router,
    st,
    wx,
)
from app.emulator.state import (
    LOGIN_CODE_TTL,
    LOGIN_PER_USER_MINUTE,
    AccountState,
)


def _media_id() -> str:
    return secrets.token_urlsafe(48)


@api("POST", "/cgi-bin/draft/add")
async def draft_add(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    arts = data.get("articles")
    if not isinstance(arts, list) or not arts or len(arts) > 8:
        raise Refusal(40097)
    for a in arts:
        _check_article(acc, a)
    media_id = _media_id()
    acc.drafts[media_id] = list(arts)
    st(request).record("draft", {"account_key": acc.account.key, "media_id": media_id, "articles": arts})
    return wx({"media_id": media_id})


def _check_article(acc: AccountState, a: Any) -> None:
    if not isinstance(a, dict) or not a.get("title") or not a.get("content"):
        raise Refusal(40097, "invalid args: title and content are required")
    if len(str(a["title"])) > 64:
        raise Refusal(45003, "title size out of limit")
    if a.get("article_type", "news") == "news" and str(a.get("thumb_media_id", "")) not in acc.materials:
        raise Refusal(40007)


@api("POST", "/cgi-bin/draft/update")
async def draft_update(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    arts = acc.drafts.get(str(data.get("media_id", "")))
    if arts is None:
        raise Refusal(40007)
    index = data.get("index")
    if not isinstance(index, int) or not 0 <= index < len(arts):
        raise Refusal(40097, "invalid index")
    _check_article(acc, data.get("articles"))
    arts[index] = data["articles"]
    return wx()


@api("POST", "/cgi-bin/freepublish/submit")
async def freepublish_submit(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    media_id = str(data.get("media_id", ""))
    if media_id not in acc.drafts:
        raise Refusal(40007)
    publish_id = state.msg_id()
    state.record("publish", {"account_key": acc.account.key, "media_id": media_id, "publish_id": publish_id})
    return wx({"errcode": 0, "errmsg": "ok", "publish_id": str(publish_id), "msg_data_id": state.msg_id()})


@api("POST", "/cgi-bin/material/add_material")
async def add_material(request: Request) -> Response:
    acc = authed(request)
    mtype = request.query_params.get("type", "")
    if mtype not in ("image", "voice", "video", "thumb"):
        raise Refusal(40004, "invalid media type")
    form = await request.form()
    media = form.get("media")
    if media is None or isinstance(media, str):
        raise Refusal(41005, "media data missing")
    content = await media.read()
    limit = {"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "thumb": 64 << 10}[mtype]
    if len(content) > limit:
        raise Refusal(40009, "invalid image size")
    media_id = _media_id()
    acc.materials[media_id] = {"type": mtype, "size": len(content), "filename": media.filename}
    out: dict[str, Any] = {"media_id": media_id}
    if mtype == "image":
        out["url"] = f"http://mmbiz.qpic.cn/emulator/{media_id[:16]}/0"
    st(request).record("material", {"account_key": acc.account.key, "media_id": media_id, "type": mtype,
                                    "size": len(content)})
    return wx(out)


# Temporary media (/cgi-bin/media/upload): kept 3 days; sizes and formats from the docs
# ("图片 10M，支持PNG\JPEG\JPG\GIF；语音 2M，播放长度不超过60s，支持AMR\MP3；视频 10MB，支持MP4；缩略图 64KB，支持JPG").
MEDIA_TTL = timedelta(days=3)
MEDIA_LIMITS = {"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "thumb": 64 << 10}
MEDIA_FORMATS = {"image": (b"\x89PNG", b"\xff\xd8\xff", b"GIF8"), "voice": (b"#!AMR", b"ID3", b"\xff\xfb", b"\xff\xf3"),
                 "video": (), "thumb": (b"\xff\xd8\xff",)}


@api("POST", "/cgi-bin/media/upload")
async def media_upload(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    mtype = request.query_params.get("type", "")
    if mtype not in MEDIA_LIMITS:
        raise Refusal(40004, "invalid media type")
    form = await request.form()
    media = form.get("media")
    if media is None or isinstance(media, str):
        raise Refusal(41005, "media data missing")
    content = await media.read()
    if not content or len(content) > MEDIA_LIMITS[mtype]:
        raise Refusal(40006, "invalid meida size")
    formats = MEDIA_FORMATS[mtype]
    if mtype == "video":
        if content[4:8] != b"ftyp":  # MP4
            raise Refusal(40005, "invalid file type")
    elif not content.startswith(formats):
        raise Refusal(40005, "invalid file type")
    media_id = _media_id()
    now = state.now()
    acc.media[media_id] = {"type": mtype, "size": len(content), "expires_at": now + MEDIA_TTL}
    state.record("media", {"account_key": acc.account.key, "media_id": media_id, "type": mtype, "size": len(content)})
    key = "thumb_media_id" if mtype == "thumb" else "media_id"
    return wx({"type": mtype, key: media_id, "created_at": int(now.timestamp())})


@api("POST", "/cgi-bin/material/add_news")
async def add_news(request: Request) -> Response:
    authed(request)
    raise Refusal(45103)


# ---------------------------------------------------------------- QR codes

@api("POST", "/cgi-bin/qrcode/create")
async def qrcode_create(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    action = data.get("action_name")
    scene = (data.get("action_info") or {}).get("scene") if isinstance(data.get("action_info"), dict) else None
    if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE") or not isinstance(scene, dict):
        raise Refusal(40097)
    permanent = action.startswith("QR_LIMIT")
    if action.endswith("STR_SCENE"):
        value = scene.get("scene_str")
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise Refusal(40097, "invalid args: scene_str length 1-64")
        key = f"str:{value}"
    else:
        value = scene.get("scene_id")
        if not isinstance(value, int) or isinstance(value, bool):
            raise Refusal(40097)
        if permanent and not 1 <= value <= 100_000:
            raise Refusal(40097, "invalid args: scene_id 1-100000")
        if not permanent and (value == 0 or not -(2 ** 31) <= value < 2 ** 32):
            raise Refusal(40097, "invalid args: scene_id 32-bit non-zero")
        key = f"id:{value}"
    if permanent:
        ticket = acc.permanent_scenes.get(key)
        if ticket is None:
            if len(acc.permanent_scenes) >= state.permanent_qr_limit:
                raise Refusal(45029)
            ticket = acc.permanent_scenes[key] = "gQ" + secrets.token_urlsafe(60)
            acc.qrcodes[ticket] = {"account_key": acc.account.key, "action_name": action, "scene": value,
                                   "permanent": True, "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}",
                                   "expires_at": None, "ticket": ticket}
            state.record("qrcode", dict(acc.qrcodes[ticket]))
        rec = acc.qrcodes[ticket]
        return wx({"ticket": ticket, "url": rec["url"]})
    expire = data.get("expire_seconds", 30)
    if not isinstance(expire, int) or isinstance(expire, bool) or expire <= 0:
        raise Refusal(40097, "invalid args: expire_seconds")
    expire = min(expire, 2_592_000)
    ticket = "gQ" + secrets.token_urlsafe(60)
    rec = {"account_key": acc.account.key, "action_name": action, "scene": value, "permanent": False,
           "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}", "ticket": ticket,
           "expires_at": (state.now().timestamp() + expire)}
    acc.qrcodes[ticket] = rec
    state.record("qrcode", dict(rec))
    return wx({"ticket": ticket, "expire_seconds": expire, "url": rec["url"]})


def png_of(text: str, *, box: int = 10) -> bytes:
    return _qr_image(text, box=box, fmt="PNG")


def jpeg_of(text: str, *, box: int = 10) -> bytes:
    return _qr_image(text, box=box, fmt="JPEG")


def _qr_image(text: str, *, box: int, fmt: str) -> bytes:
    img = qrcode.make(text, box_size=box, border=2)
    buf = io.BytesIO()
    (img.get_image().convert("RGB") if fmt == "JPEG" else img).save(buf, format=fmt)
    return buf.getvalue()


@router.get("/cgi-bin/showqrcode", include_in_schema=False)
async def showqrcode(request: Request) -> Response:
    state = st(request)
    ticket = request.query_params.get("ticket", "")
    rec = next((a.qrcodes[ticket] for a in state.accounts.values() if ticket in a.qrcodes), None)
    if rec is None or (rec["expires_at"] and rec["expires_at"] < state.now().timestamp()):
        return Response(status_code=404)
    # WeChat's showqrcode answers a JPEG image
    return Response(await asyncio.to_thread(jpeg_of, rec["url"]), media_type="image/jpeg")


@api("POST", "/wxa/getwxacodeunlimit")
async def wxacode_unlimited(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    if not acc.account.is_miniprogram:
        raise Refusal(48001)
    if state.per_minute("wxacode") > state.wxacode_per_minute:
        raise Refusal(45009)
    data = await body_json(request)
    scene = data.get("scene")
    if not isinstance(scene, str) or not WXACODE_SCENE_RE.match(scene):
        raise Refusal(40169)
    page = str(data.get("page", "") or "pages/index/index")
    if "?" in page or page.startswith("/"):
        raise Refusal(41030)
    if data.get("check_path", True) and page not in state.mp_pages:
        raise Refusal(41030)
    if data.get("env_version", "release") not in ("release", "trial", "develop"):
        raise Refusal(40097)
    try:
        width = min(max(int(data.get("width", 430)), 280), 1280)
    except (TypeError, ValueError) as exc:
        raise Refusal(40097) from exc
    state.record("wxacode", {"scene": scene, "page": page, "width": width})
    png = await asyncio.to_thread(png_of, f"{page}?scene={scene}", box=max(2, width // 60))
    return Response(png, media_type="image/png")


@api("GET", "/sns/jscode2session")
async def jscode2session(request: Request) -> Response:
    state = st(request)
    q = request.query_params
    acc = credentials(state, q.get("appid"), q.get("secret"), "client_credential"
                       if q.get("grant_type") == "authorization_code" else None)
    if not acc.account.is_miniprogram:
        raise Refusal(40013)
    code = state.login_codes.get(q.get("js_code", ""))
    if code is None or state.now() - code["created"] > LOGIN_CODE_TTL:
        raise Refusal(40029)
    if code["used"]:
        raise Refusal(40163)
    openid = code["openid"]
    if state.per_minute(f"jscode2session:{openid}") > LOGIN_PER_USER_MINUTE:
        raise Refusal(45011, "api minute-quota reach limit  mustslower  retry next minute")
    if openid in state.mp_risky:
        raise Refusal(40226, "invalid user, the user is high risk user")
    code["used"] = True
    out = {"openid": openid, "session_key": state.mp_users[openid]}
    union = state.unionid_for(acc.account.key, state.mp_unionids.get(openid, ""))
    if union:  # only when the mini-program is bound to an Open Platform account
        out["unionid"] = union
    return wx(out)
