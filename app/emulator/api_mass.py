"""Emulated mass sends and the MASSSENDJOBFINISH postback to the callback."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import Response
from wechatpy.crypto import WeChatCrypto

from app.emulator.api import (
    Refusal,
    api,
    authed,
    body_json,
    official,
    st,
    wx,
)
from app.emulator.state import (
    AccountState,
    EmulatorState,
)
from app.wechat.crypto import sign


def _check_mass_body(state: EmulatorState, acc: AccountState, data: dict[str, Any]) -> str:
    msgtype = data.get("msgtype")
    part = data.get(str(msgtype)) if isinstance(msgtype, str) else None
    if not isinstance(part, dict):
        raise Refusal(40008, "invalid message type")
    if msgtype == "text" and not str(part.get("content", "")).strip():
        raise Refusal(44004)
    if msgtype == "mpnews" and str(part.get("media_id", "")) not in acc.drafts:
        raise Refusal(40007)
    if msgtype in ("image", "voice", "mpvideo", "video") and not acc.has_media(part.get("media_id"), state.now()):
        raise Refusal(40007)
    if msgtype == "images" and not all(acc.has_media(m, state.now()) for m in part.get("media_ids") or [None]):
        raise Refusal(40007)
    return str(msgtype)


def _clientmsgid(state: EmulatorState, acc: AccountState, data: dict[str, Any]) -> str:
    cid = str(data.get("clientmsgid", "") or "")
    if len(cid.encode("utf-8")) > 64:  # "长度限制 64 字节" (the sendall/send docs)
        raise Refusal(45067, "clientmsgid size out of limit")
    if cid:
        now = state.now()
        seen = acc.clientmsgids.get(cid)
        if seen and (now - seen[0]).total_seconds() < 86400:
            raise Duplicate(seen[1])
    return cid


class Duplicate(Refusal):
    """45065: the clientmsgid was used within 24 h; WeChat's answer names the send that used it."""

    def __init__(self, msg_id: int) -> None:
        super().__init__(45065)
        self.extra = {"msg_id": msg_id}


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
    msgtype = _check_mass_body(state, acc, data)
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
    msgtype = _check_mass_body(state, acc, data)
    cid = _clientmsgid(state, acc, data)
    return _mass_accept(state, acc, target="openids", recipients=[str(o) for o in touser], msgtype=msgtype,
                        cid=cid, data=data)


PREVIEWS_PER_DAY = 100  # "每日调用次数有限制（100次）" (the preview docs)


@api("POST", "/cgi-bin/message/mass/preview")
async def mass_preview(request: Request) -> Response:
    """Send a mass message to one follower to check how it looks (no quota, nothing counted for the month)."""
    state = st(request)
    acc = authed(request)
    official(acc)
    data = await body_json(request)
    msgtype = _check_mass_body(state, acc, data)
    openid = data.get("touser")
    if not openid:
        # undocumented choice: previews by WeChat ID (towxname) are not emulated; such a call is refused
        raise Refusal(40003 if data.get("towxname") else 40097)
    f = acc.followers.get(str(openid))
    if f is None or not f.subscribed:
        raise Refusal(40003)
    day = state.day()
    if acc.previews.get(day, 0) >= PREVIEWS_PER_DAY:
        raise Refusal(45009)
    acc.previews[day] = acc.previews.get(day, 0) + 1
    msg_id = state.msg_id()
    state.record("preview", {"account_key": acc.account.key, "openid": f.openid, "msgtype": msgtype,
                             msgtype: data.get(msgtype), "msg_id": msg_id})
    return wx({"errcode": 0, "errmsg": "preview success", "msg_id": msg_id})


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
