"""The loopback WeChat (``fawu fake-wechat``): WeChat's server API with its validation, codes and limits.

Official-account and mini-program endpoints answer as WeChat does (one module per subject, all on
app.emulator.api.router); ``/_control/*`` (app.emulator.control) drives the emulator and shows what was sent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from app.config import Settings, get_settings
from app.emulator import (  # noqa: F401 - their routes join the router
    api_content,
    api_mass,
    api_messages,
    api_templates,
    api_tokens,
    api_users,
)
<<<<<<< HEAD
from app.emulator.api import refuse, router
from app.emulator.control import control
from app.emulator.state import EmulatorState
=======
from app.wechat.crypto import sign

JSON_TYPE = "application/json; encoding=utf-8"
WXACODE_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
MENU_TYPES = {"click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "location_select",
              "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "media_id", "article_id", "article_view_limited"}
MSG_TEXT = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40007: "invalid media_id", 40013: "invalid appid",
    40016: "invalid button size", 40017: "invalid button type", 40018: "invalid button name size",
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
    """WeChat's answer with a non-zero errcode (``extra``: further fields of the answer, e.g. 45065's msg_id)."""

    def __init__(self, errcode: int, errmsg: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or MSG_TEXT.get(errcode, "error")
        self.extra = extra or {}


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


# ---------------------------------------------------------------- tokens

def _credentials(state: EmulatorState, appid: Any, secret: Any, grant_type: Any) -> AccountState:
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


@api("GET", "/cgi-bin/token")
async def get_token(request: Request) -> Response:
    state = st(request)
    q = request.query_params
    acc = _credentials(state, q.get("appid"), q.get("secret"), q.get("grant_type"))
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
    acc = _credentials(state, data.get("appid"), data.get("secret"), data.get("grant_type"))
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


# ---------------------------------------------------------------- customer-service and templates

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
    elif msgtype not in ("image", "voice", "video", "music", "mpnews", "msgmenu", "wxcard", "mpnewsarticle"):
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
    if not data.get("template_id"):
        raise Refusal(40037)
    payload = data.get("data")
    if not isinstance(payload, dict) or any(not isinstance(v, dict) or "value" not in v for v in payload.values()):
        raise Refusal(47001)
    payload = {k: v for k, v in payload.items() if k not in ("first", "remark")}  # removed since 2023-05
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
    if not data.get("template_id"):
        raise Refusal(40037)
    if not isinstance(data.get("data"), dict):
        raise Refusal(47001)
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
    if not data.get("template_id"):
        raise Refusal(40037)
    if not isinstance(data.get("data"), dict):
        raise Refusal(47001)
    state.record("mp_subscribe", {"openid": data["touser"], "template_id": data["template_id"],
                                  "data": data["data"], "page": data.get("page")})
    return wx()


# ---------------------------------------------------------------- mass sends

def _check_mass_body(acc: AccountState, data: dict[str, Any]) -> str:
    msgtype = data.get("msgtype")
    part = data.get(str(msgtype)) if isinstance(msgtype, str) else None
    if not isinstance(part, dict):
        raise Refusal(40008, "invalid message type")
    if msgtype == "text" and not str(part.get("content", "")).strip():
        raise Refusal(44004)
    if msgtype == "mpnews" and str(part.get("media_id", "")) not in acc.drafts:
        raise Refusal(40007)
    return str(msgtype)


def _clientmsgid(state: EmulatorState, acc: AccountState, data: dict[str, Any]) -> str:
    cid = str(data.get("clientmsgid", "") or "")
    if len(cid) > 64:
        raise Refusal(40097)
    if cid:
        now = state.now()
        seen = acc.clientmsgids.get(cid)
        if seen and (now - seen[0]).total_seconds() < 86400:
            raise Refusal(45065, extra={"msg_id": seen[1]})  # WeChat names the send that used it
    return cid


def _mass_accept(state: EmulatorState, acc: AccountState, *, target: str, recipients: list[str], msgtype: str,
                 cid: str, data: dict[str, Any]) -> Response:
    month = state.month()
    known = [acc.followers[o] for o in recipients if o in acc.followers and acc.followers[o].subscribed]
    if acc.account.kind == "subscription":
        if acc.mass_days.get(state.day(), 0) >= 1:
            raise Refusal(45028)
        eligible = known
    else:
        eligible = [f for f in known if f.mass_month.get(month, 0) < 4]
        if recipients and not eligible and known:
            raise Refusal(45028)
    acc.mass_days[state.day()] = acc.mass_days.get(state.day(), 0) + 1
    for f in eligible:
        f.mass_month[month] = f.mass_month.get(month, 0) + 1
    msg_id = state.msg_id()
    msg_data_id = state.msg_id() if msgtype == "mpnews" else None
    if cid:
        acc.clientmsgids[cid] = (state.now(), msg_id)
    job = {"account_key": acc.account.key, "msg_id": msg_id, "target": target, "msgtype": msgtype,
           "clientmsgid": cid, "total": len(recipients), "filter": len(eligible),
           "sent": len(eligible), "error": len(recipients) - len(known), "openids": [f.openid for f in eligible],
           "content": data.get(msgtype)}
    state.mass[msg_id] = job
    state.record("mass", {k: v for k, v in job.items() if k != "openids"} | {"recipients": len(eligible)})
    task = asyncio.get_running_loop().create_task(_post_job_finished(state, acc, job))
    state.pending.add(task)
    task.add_done_callback(state.pending.discard)
    out: dict[str, Any] = {"errcode": 0, "errmsg": "send job submission success", "msg_id": msg_id}
    if msg_data_id:
        out["msg_data_id"] = msg_data_id
    return wx(out)


@api("POST", "/cgi-bin/message/mass/sendall")
async def mass_sendall(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    flt = data.get("filter")
    if not isinstance(flt, dict):
        raise Refusal(47001)
    msgtype = _check_mass_body(acc, data)
    cid = _clientmsgid(state, acc, data)
    if flt.get("is_to_all"):
        recipients = [o for o, f in acc.followers.items() if f.subscribed]
        target = "all"
    else:
        try:
            tag_id = int(flt.get("tag_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise Refusal(40097) from exc
        if tag_id not in acc.tags:
            raise Refusal(45159)
        recipients = [o for o, f in acc.followers.items() if tag_id in f.tags and f.subscribed]
        target = "tag"
    return _mass_accept(state, acc, target=target, recipients=recipients, msgtype=msgtype, cid=cid, data=data)


@api("POST", "/cgi-bin/message/mass/send")
async def mass_send(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    official(acc)
    if not acc.account.can_mass_send_openids:
        raise Refusal(48001)
    data = await body_json(request)
    touser = data.get("touser")
    if not isinstance(touser, list) or not (2 <= len(touser) <= 10_000):
        raise Refusal(40130)
    msgtype = _check_mass_body(acc, data)
    cid = _clientmsgid(state, acc, data)
    return _mass_accept(state, acc, target="openids", recipients=[str(o) for o in touser], msgtype=msgtype,
                        cid=cid, data=data)


@api("POST", "/cgi-bin/message/mass/get")
async def mass_get(request: Request) -> Response:
    state = st(request)
    acc = authed(request)
    data = await body_json(request)
    try:
        job = state.mass.get(int(data.get("msg_id")))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise Refusal(40097) from exc
    if job is None or job["account_key"] != acc.account.key:
        raise Refusal(40097)
    return wx({"msg_id": job["msg_id"], "msg_status": "SEND_SUCCESS"})


def event_xml(acc: AccountState, job: dict[str, Any], created: int) -> str:
    return ("<xml>"
            f"<ToUserName><![CDATA[{acc.account.original_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{acc.system_openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[MASSSENDJOBFINISH]]></Event>"
            f"<MsgID>{job['msg_id']}</MsgID>"
            "<Status><![CDATA[send success]]></Status>"
            f"<TotalCount>{job['total']}</TotalCount>"
            f"<FilterCount>{job['filter']}</FilterCount>"
            f"<SentCount>{job['sent']}</SentCount>"
            f"<ErrorCount>{job['error']}</ErrorCount>"
            "<CopyrightCheckResult><Count>0</Count><ResultList></ResultList><CheckState>1</CheckState>"
            "</CopyrightCheckResult>"
            "</xml>")


def signed_push(acc: AccountState, xml: str, *, openid: str, timestamp: str | None = None,
                nonce: str | None = None) -> tuple[dict[str, str], str]:
    """Query parameters and body of a push to the account's callback, per its encryption mode."""
    a = acc.account
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(5)
    params = {"signature": sign(a.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "openid": openid}
    if a.encryption_mode == "plain" or not a.encoding_aes_key:
        return params, xml
    envelope = WeChatCrypto(a.token, a.encoding_aes_key, a.appid).encrypt_message(xml, nonce, timestamp)
    encrypt = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope)
    assert encrypt is not None
    enc = encrypt.group(1)
    params.update({"encrypt_type": "aes", "msg_signature": sign(a.token, timestamp, nonce, enc)})
    if a.encryption_mode == "safe":
        body = f"<xml><ToUserName><![CDATA[{a.original_id}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    else:  # compat: plaintext fields and the ciphertext
        body = xml.replace("</xml>", f"<Encrypt><![CDATA[{enc}]]></Encrypt></xml>")
    return params, body


async def _post_job_finished(state: EmulatorState, acc: AccountState, job: dict[str, Any]) -> None:
    """Post MASSSENDJOBFINISH to ``{public_base_url}/wechat/{account_key}`` like WeChat (3 tries, 5 s each)."""
    await asyncio.sleep(state.postback_delay)
    xml = event_xml(acc, job, int(state.now().timestamp()))
    url = f"{state.public_base_url}/wechat/{acc.account.key}"
    entry: dict[str, Any] = {"account_key": acc.account.key, "msg_id": job["msg_id"], "url": url, "xml": xml,
                             "tries": 0, "status": None, "body": None, "ok": False}
    state.callbacks.append(entry)
    params, body = signed_push(acc, xml, openid=acc.system_openid)
    async with httpx.AsyncClient(transport=state.callback_transport, timeout=5.0) as client:
        for _ in range(3):
            entry["tries"] += 1
            try:
                resp = await client.post(url, params=params, content=body.encode("utf-8"),
                                         headers={"Content-Type": "text/xml"})
            except httpx.HTTPError as exc:
                entry["status"], entry["body"] = None, type(exc).__name__
                continue
            entry["status"], entry["body"] = resp.status_code, resp.text[:2000]
            if resp.status_code == 200:
                entry["ok"] = True
                return


# ---------------------------------------------------------------- drafts, publishing, material

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
    img = qrcode.make(text, box_size=box, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@router.get("/cgi-bin/showqrcode", include_in_schema=False)
async def showqrcode(request: Request) -> Response:
    state = st(request)
    ticket = request.query_params.get("ticket", "")
    rec = next((a.qrcodes[ticket] for a in state.accounts.values() if ticket in a.qrcodes), None)
    if rec is None or (rec["expires_at"] and rec["expires_at"] < state.now().timestamp()):
        return Response(status_code=404)
    return Response(await asyncio.to_thread(png_of, rec["url"]), media_type="image/jpeg")


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
    acc = _credentials(state, q.get("appid"), q.get("secret"), "client_credential"
                       if q.get("grant_type") == "authorization_code" else None)
    if not acc.account.is_miniprogram:
        raise Refusal(40013)
    code = state.login_codes.get(q.get("js_code", ""))
    if code is None or state.now() - code["created"] > LOGIN_CODE_TTL:
        raise Refusal(40029)
    if code["used"]:
        raise Refusal(40163)
    code["used"] = True
    return wx({"openid": code["openid"], "session_key": state.mp_users[code["openid"]]})


# ---------------------------------------------------------------- menu, users, tags

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
    t = b.get("type")
    if t not in MENU_TYPES:
        raise Refusal(40024 if sub else 40017)
    if t in ("click", "scancode_push", "scancode_waitmsg", "location_select", "pic_sysphoto",
             "pic_photo_or_album", "pic_weixin") and not 1 <= len(str(b.get("key", "")).encode()) <= 128:
        raise Refusal(40019)
    if t in ("view", "miniprogram"):
        url = str(b.get("url", ""))
        if not re.match(r"^https?://", url) or len(url.encode()) > 1024:
            raise Refusal(40027 if sub else 40054, "invalid button url" if not sub else None)
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


def _user(acc: AccountState, f: Follower, lang: str) -> dict[str, Any]:
    """As WeChat: ``unionid`` only when the follower has one (the account is bound to an Open Platform)."""
    union = {"unionid": f.unionid} if f.unionid else {}
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
    return wx(_user(acc, f, request.query_params.get("lang", "zh_CN")))


@api("POST", "/cgi-bin/user/info/batchget")
async def user_batchget(request: Request) -> Response:
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    users = data.get("user_list")
    if not isinstance(users, list) or not 1 <= len(users) <= 100:
        raise Refusal(40097, "invalid args: user_list 1-100")
    out = [_user(acc, follower(acc, u.get("openid") if isinstance(u, dict) else None),
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
    try:
        tag_id = int((data.get("tag") or {}).get("id"))  # type: ignore[union-attr,arg-type]
    except (TypeError, ValueError, AttributeError) as exc:
        raise Refusal(45159) from exc
    if tag_id in (0, 1, 2):
        raise Refusal(45058, "can't modify sys tag")
    if tag_id not in acc.tags:
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


# ---------------------------------------------------------------- control API

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
    """Create (or re-subscribe) a follower: {account_key, openid?, nickname?, scene_str?, unionid?, interaction?}.

    The same person following two accounts of the matrix: two calls, two openids, one ``unionid``."""
    state = st(request)
    data = await _control_json(request)
    acc = _acc(state, data)
    f = state.add_follower(acc, openid=data.get("openid"), nickname=str(data.get("nickname", "")),
                           scene_str=str(data.get("scene_str", "")), unionid=str(data.get("unionid") or ""))
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


@control.post("/login_codes")
@_controlled
async def c_login_code(request: Request) -> Response:
    data = await _control_json(request)
    return JSONResponse(st(request).mint_code(data.get("openid")))


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

>>>>>>> e175c9a (push: the article library (33 articles: labour, family, debt, traffic, neighbours, consumer, inheritance, legal aid; 3·15, 民法典宣传月, 12·4, the Spring Festival wage season), checked against the statute corpus)

# ---------------------------------------------------------------- the app

class FaultMiddleware:
    """Counts calls per endpoint and applies injected faults before the endpoint runs."""

    def __init__(self, app: Any, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_control"):
            await self.app(scope, receive, send)
            return
        endpoint = scope["path"].lstrip("/")
        self.state.calls[endpoint] = self.state.calls.get(endpoint, 0) + 1
        fault = self.state.take_fault(endpoint)
        if fault is not None and fault.kind == "late":
            # WeChat carries the request out, but its answer comes after ``delay`` (lost to a client timeout)
            held: list[Any] = []

            async def hold(message: Any) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(fault.delay)
            for message in held:
                await send(message)
            return
        if fault is not None:
            if fault.kind in ("timeout", "slow"):
                await asyncio.sleep(fault.delay)
            else:
                await refuse(fault.errcode, fault.errmsg)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_emulator_app(settings: Settings | None = None, *, state: EmulatorState | None = None,
                        matrix_dir: Path | None = None) -> FastAPI:
    """The emulator's ASGI app (its state on ``app.state.emu``)."""
    settings = settings or get_settings()
    state = state or EmulatorState(matrix_dir or settings.matrix_dir, public_base_url=settings.public_base_url)
    app = FastAPI(title="fawu fake WeChat", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emu = state
    state.app = app
    app.include_router(router)
    app.include_router(control)

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return JSONResponse({"emulator": "fawu fake WeChat", "accounts": [
            {"key": a.account.key, "appid": a.account.appid, "kind": a.account.kind}
            for a in state.accounts.values()]})

    app.add_middleware(FaultMiddleware, state=state)
    return app
