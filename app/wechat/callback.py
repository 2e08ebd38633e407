"""The callback pipeline: verify → parse safely → persist (de-dup) → dispatch within budget → render.

Used by app.wechat.routes (GET/POST /wechat/{account_key}); returns a CallbackResult, never raises.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from wechatpy.replies import ArticlesReply
from wechatpy.replies import TextReply as WxTextReply

from app.config import get_settings
from app.core import metrics
from app.core.clock import utcnow
from app.errors import FawuError, wechat_text
from app.jobs import service as jobs
from app.matrix.service import Account, get_matrix
from app.residents import service as residents
from app.wechat import crypto, delivery, service, windows
from app.wechat.router import NO_REPLY, Inbound, InboundRouter, NewsReply, Reply, TextReply, _NoReply
from app.wechat.router import router as default_router

log = logging.getLogger("fawu.wechat.callback")

SUCCESS = "success"
XML_MEDIA = "application/xml"
TEXT_MEDIA = "text/plain"

KNOWN_KINDS = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link", "event",
                         "miniprogrampage"})
KNOWN_EVENTS = frozenset({
    "subscribe", "unsubscribe", "scan", "click", "view", "location", "masssendjobfinish",
    "templatesendjobfinish", "subscribe_msg_popup_event", "subscribe_msg_change_event",
    "subscribe_msg_sent_event", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
    "pic_photo_or_album", "pic_weixin", "location_select", "view_miniprogram",
})
# Which interaction each inbound opens for the customer-service window (app.wechat.windows).
INTERACTION = {"click": "click", "scancode_push": "click", "scancode_waitmsg": "click",
               "subscribe": "subscribe", "scan": "scan"}
_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.\-]+)[\"']")
CONTINUED = "\n（未完，续见下条）"

# Background tasks of over-budget handlers (kept referenced until done).
_background: set[asyncio.Task[Any]] = set()


@dataclass
class CallbackResult:
    status: int
    body: str
    media_type: str = TEXT_MEDIA
    outcome: str = "handled"  # handled, duplicate, rejected


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _reject(account_label: str, status: int, reason: str) -> CallbackResult:
    metrics.wechat_messages.labels(account_label, "rejected").inc()
    log.warning("wechat callback rejected: account=%s status=%s reason=%s", account_label, status, reason)
    body = {400: "bad request", 403: "forbidden", 404: "not found"}.get(status, "error")
    return CallbackResult(status, body, TEXT_MEDIA, "rejected")


def _account(account_key: str) -> Account:
    acc = get_matrix().get(account_key)
    if acc is None or acc.is_miniprogram:
        raise Rejected(404, "unknown account")
    return acc


def _check_timestamp(timestamp: str) -> None:
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Rejected(403, "bad timestamp")
    window = get_settings().wechat_timestamp_window
    if window and abs(utcnow().timestamp() - int(timestamp)) > window:
        raise Rejected(403, "timestamp outside window")


# ---- GET: URL verification ----


def _verify_and_decrypt(cr: Any, msg_signature: str | None, timestamp: str, nonce: str, encrypt: str) -> str:
    """Check msg_signature over the ciphertext, then decrypt it (the appid must be the account's)."""
    if not cr.check_msg_signature(msg_signature, timestamp, nonce, encrypt):
        raise Rejected(403, "bad msg_signature")
    try:
        return str(cr.decrypt(encrypt))
    except crypto.WrongAppId as exc:
        raise Rejected(403, "wrong appid") from exc
    except crypto.CryptoError as exc:
        raise Rejected(400, "undecryptable") from exc


def verify_url(*, account_key: str, params: dict[str, str]) -> CallbackResult:
    """Answer WeChat's URL check with the echostr (decrypted when it comes encrypted)."""
    label = account_key if get_matrix().get(account_key) else "unknown"
    try:
        acc = _account(account_key)
        cr = crypto.for_account(acc)
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        echostr = params.get("echostr", "")
        _check_timestamp(timestamp)
        if not echostr:
            raise Rejected(400, "missing echostr")
        msg_signature = params.get("msg_signature")
        if msg_signature and cr.can_encrypt:
            echostr = _verify_and_decrypt(cr, msg_signature, timestamp, nonce, echostr)
        elif not cr.check_signature(params.get("signature"), timestamp, nonce):
            raise Rejected(403, "bad signature")
    except Rejected as r:
        return _reject(label, r.status, r.reason)
    return CallbackResult(200, echostr, TEXT_MEDIA, "handled")


# ---- POST: messages and events ----


async def read_limited(stream: AsyncIterator[bytes], limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _to_dict(el: Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in el:
        value: Any = _to_dict(child) if len(child) else (child.text or "")
        if child.tag in out:
            prev = out[child.tag]
            out[child.tag] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[child.tag] = value
    return out


def parse_xml(body: bytes) -> dict[str, Any]:
    """Parse with defusedxml (no DTD, no entities); UTF-8 only. Raises Rejected(400)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(400, "not utf-8") from exc
    m = _DECL_RE.match(body)
    if m and m.group(1).lower().replace(b"-", b"").replace(b"_", b"") != b"utf8":
        raise Rejected(400, "declared encoding not utf-8")
    try:
        root = safe_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise Rejected(400, f"forbidden xml ({type(exc).__name__})") from exc
    except (ParseError, ValueError) as exc:
        raise Rejected(400, "malformed xml") from exc
    if root.tag != "xml":
        raise Rejected(400, "root is not <xml>")
    return _to_dict(root)


def _decode(acc: Account, params: dict[str, str], body: bytes) -> tuple[dict[str, Any], bool]:
    """Verify and decode the POST body: (fields, encrypted)."""
    cr = crypto.for_account(acc)
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    _check_timestamp(timestamp)
    if not cr.check_signature(params.get("signature"), timestamp, nonce):
        raise Rejected(403, "bad signature")
    outer = parse_xml(body)
    encrypted = params.get("encrypt_type", "").lower() == "aes"
    if acc.encryption_mode == "safe" and not encrypted:
        raise Rejected(403, "plaintext message to a safe-mode account")
    if not encrypted:
        return outer, False
    if not cr.can_encrypt:
        raise Rejected(400, "encrypted message but no encoding_aes_key")
    encrypt = outer.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise Rejected(400, "missing Encrypt")
    plain = _verify_and_decrypt(cr, params.get("msg_signature"), timestamp, nonce, encrypt)
    return parse_xml(plain.encode("utf-8")), True


def _inbound_from(acc: Account, f: dict[str, Any]) -> Inbound:
    openid = f.get("FromUserName")
    msg_type = f.get("MsgType")
    if not isinstance(openid, str) or not openid or len(openid) > 64 or not isinstance(msg_type, str):
        raise Rejected(400, "missing FromUserName or MsgType")
    to = f.get("ToUserName")
    if to != acc.original_id:
        raise Rejected(403, "ToUserName is another account")
    kind = msg_type.strip().lower()
    event = event_key = text = None
    if kind == "event":
        event = str(f.get("Event") or "").strip().lower() or None
        ek = f.get("EventKey")
        event_key = ek if isinstance(ek, str) and ek else None
        if event == "subscribe" and event_key is not None:
            event_key = event_key[len("qrscene_"):] if event_key.startswith("qrscene_") else None
    elif kind == "text":
        text = f.get("Content") if isinstance(f.get("Content"), str) else ""
    elif kind == "voice":
        rec = f.get("Recognition")
        text = rec if isinstance(rec, str) and rec.strip() else None
    return Inbound(account_key=acc.key, openid=openid, kind=kind, event=event, event_key=event_key, text=text,
                   raw=f)


# ---- rendering ----


def _cdata_safe(s: str) -> str:
    return s.replace("]]>", "]]]]><![CDATA[>")


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into parts of at most ``limit`` UTF-8 bytes (at line ends where possible)."""
    parts: list[str] = []
    suffix_len = len(CONTINUED.encode("utf-8"))
    while len(text.encode("utf-8")) > limit:
        budget = limit - suffix_len
        cut = len(text.encode("utf-8")[:budget].decode("utf-8", "ignore"))
        nl = text.rfind("\n", 0, cut)
        if nl > cut // 2:
            cut = nl
        parts.append(text[:cut].rstrip() + CONTINUED)
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def render_reply(acc: Account, openid: str, reply: Reply, *, after_message: bool) -> tuple[str, str | None]:
    """(plain XML, bot text for the log); empty XML means ``success``."""
    now = int(time.time())
    if isinstance(reply, TextReply):
        content = reply.content
        xml = WxTextReply(source=acc.original_id, target=openid, time=now, content=_cdata_safe(content)).render()
        return xml, content
    if isinstance(reply, NewsReply):
        articles = reply.articles[: 1 if after_message else 8]
        if not articles:
            return "", None
        wx = ArticlesReply(source=acc.original_id, target=openid, time=now, articles=[
            {"title": _cdata_safe(a.title), "description": _cdata_safe(a.description), "url": a.url,
             "image": a.image} for a in articles])
        return wx.render(), "[图文] " + "；".join(a.title for a in articles)
    return "", None


def _wrap(acc: Account, xml: str, encrypted: bool, params: dict[str, str]) -> CallbackResult:
    if not xml:
        return CallbackResult(200, SUCCESS, TEXT_MEDIA)
    if encrypted:
        xml = crypto.for_account(acc).encrypt_reply(xml, nonce=params.get("nonce") or None)
    return CallbackResult(200, xml, XML_MEDIA)


# ---- the pipeline ----


async def handle(*, account_key: str, params: dict[str, str], body: bytes | None,
                 router: InboundRouter | None = None, started: float | None = None) -> CallbackResult:
    """One POST from WeChat; never raises."""
    started = started or time.monotonic()
    label = account_key if get_matrix().get(account_key) else "unknown"
    try:
        acc = _account(account_key)
        if body is None:
            raise Rejected(400, "body too large")
        fields, encrypted = _decode(acc, params, body)
        inbound = _inbound_from(acc, fields)
    except Rejected as r:
        return _reject(label, r.status, r.reason)
    try:
        result = await _accept(acc, inbound, fields, encrypted, params, router or default_router, started)
    except Exception:
        metrics.caught("wechat.callback", log, "wechat callback failed: account=%s", acc.key)
        return CallbackResult(200, SUCCESS, TEXT_MEDIA, "handled")
    metrics.wechat_messages.labels(acc.key, result.outcome).inc()
    return result


def _msg_id(f: dict[str, Any]) -> int | None:
    v = f.get("MsgId") or f.get("MsgID")
    return int(v) if isinstance(v, str) and v.isdigit() and len(v) <= 18 else None


async def _accept(acc: Account, inbound: Inbound, fields: dict[str, Any], encrypted: bool,
                  params: dict[str, str], router: InboundRouter, started: float) -> CallbackResult:
    """Answer once: every status change is a compare-and-set on InboundMessage.status, so the passive
    path ("done": this reply and a retry's) and the deferred path ("deferred"/"redoing" → "answered" →
    "delivering" → "delivered", a retry gets success) exclude each other."""
    settings = get_settings()
    deadline = started + settings.wechat_reply_budget
    key = service.dedup_key(fields)
    known = inbound.kind in KNOWN_KINDS and (inbound.kind != "event" or inbound.event in KNOWN_EVENTS)
    sig_key = None if encrypted else f"{params.get('timestamp', '')}:{params.get('nonce', '')}"[:64]
    row = await service.persist_inbound(
        account_key=acc.key, key=key, openid=inbound.openid, kind=inbound.kind, event=inbound.event,
        event_key=inbound.event_key, msg_id=_msg_id(fields), text=inbound.text, raw=fields, known=known,
        status="processing" if known else "done", sig_key=sig_key)
    if row is None:
        if sig_key is not None and await service.find_inbound(account_key=acc.key, key=key) is None:
            # not a retry of a stored message: the signature of another message, replayed with a new body
            log.warning("wechat callback rejected: account=%s status=403 reason=signature reused", acc.key)
            return CallbackResult(403, "forbidden", TEXT_MEDIA, "rejected")
        return await _duplicate(acc, key, encrypted, params, deadline)
    if not known:
        log.info("wechat unknown message recorded: account=%s kind=%s event=%s", acc.key, inbound.kind,
                 inbound.event)
        return CallbackResult(200, SUCCESS, TEXT_MEDIA)
    inbound.message_id = row.id
    inbound.created_at = row.created_at
    task = asyncio.ensure_future(_process(acc, inbound, router))
    remaining = deadline - time.monotonic()
    try:
        xml = await asyncio.wait_for(asyncio.shield(task), timeout=max(remaining, 0.01))
    except TimeoutError:
        if await _defer(acc, inbound, task):
            return CallbackResult(200, SUCCESS, TEXT_MEDIA)
        xml = await task  # it finished ("done") just as the budget ran out: answer passively after all
    except Exception:  # e.g. the database failed mid-way: the reply_later job tries again later
        metrics.caught("wechat.process", log, "wechat processing failed: account=%s id=%s", acc.key,
                       inbound.message_id)
        await service.finish_inbound(inbound_id=row.id, status="deferred", only_if="processing")
        await jobs.enqueue("wechat.reply_later", {"inbound_id": row.id}, run_at=_later(60),
                           dedupe_key=f"wechat.reply_later:{row.id}")
        return CallbackResult(200, SUCCESS, TEXT_MEDIA)
    return _wrap(acc, xml, encrypted, params)


async def _duplicate(acc: Account, key: str, encrypted: bool, params: dict[str, str],
                     deadline: float) -> CallbackResult:
    """A retry: the stored reply, or wait for the first attempt within the budget, else success."""
    delay = 0.02
    while True:
        row = await service.find_inbound(account_key=acc.key, key=key)
        if row is not None and row.status != "processing":
            xml = row.reply_xml if row.status == "done" else ""
            res = _wrap(acc, xml or "", encrypted, params)
            res.outcome = "duplicate"
            return res
        if time.monotonic() + delay >= deadline:
            return CallbackResult(200, SUCCESS, TEXT_MEDIA, "duplicate")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


async def _prepare(acc: Account, inbound: Inbound) -> int:
    """Identity, follow status, window, dialogue state; returns the count of waiting answers."""
    event = inbound.event
    if event in ("subscribe", "unsubscribe"):
        link = await residents.set_following(account_key=acc.key, openid=inbound.openid,
                                             following=event == "subscribe")
        if event == "subscribe":
            await jobs.enqueue("wechat.fetch_user_info", {"account_key": acc.key, "openid": inbound.openid},
                               dedupe_key=f"wechat.fetch_user_info:{acc.key}:{inbound.openid}:{inbound.message_id}")
    else:
        link = await residents.ensure_identity(account_key=acc.key, openid=inbound.openid)
    inbound.resident_id = link.resident_id
    inbound.board_code = link.last_board_code
    kind = "message" if inbound.kind != "event" else INTERACTION.get(event or "")
    dialogue = service.load_dialogue(account_key=acc.key, openid=inbound.openid)
    if kind is not None:  # two independent statements at once (a pool runs them in parallel)
        _, (inbound.state, pending) = await asyncio.gather(
            windows.record_interaction(account_key=acc.key, openid=inbound.openid, kind=kind), dialogue)
    else:
        inbound.state, pending = await dialogue
    return pending


async def _dispatch(inbound: Inbound, router: InboundRouter) -> Reply:
    try:
        return await router.dispatch(inbound)
    except Exception as exc:  # a domain error gets its Chinese message; anything else "busy"
        unexpected = not isinstance(exc, FawuError)
        metrics.caught("wechat.handler" if unexpected else "wechat.handler.domain", log,
                       "wechat handler failed: account=%s kind=%s event=%s", inbound.account_key, inbound.kind,
                       inbound.event, level=logging.ERROR if unexpected else logging.INFO)
        return TextReply(wechat_text(exc)) if inbound.kind != "event" or inbound.event == "click" else NO_REPLY


async def _process(acc: Account, inbound: Inbound, router: InboundRouter) -> str:
    """Everything after persistence; stores the outcome. Returns the plain reply XML ('' = success)."""
    pending = await _prepare(acc, inbound)
    reply = await _dispatch(inbound, router)
    if inbound.state.dirty:
        await service.save_dialogue(account_key=acc.key, openid=inbound.openid, state=inbound.state)
    reply, rest = await _with_pending(acc, inbound, reply, pending)
    after_message = inbound.kind != "event"
    xml, bot_text = render_reply(acc, inbound.openid, reply, after_message=after_message)
    outcome: dict[str, Any] = {"reply_xml": xml, "reply_text": bot_text or "", "resident_id": inbound.resident_id,
               "board_code": inbound.board_code}
    if not await service.finish_inbound(inbound_id=inbound.message_id or 0, status="done", only_if="processing",
                                        **outcome):
        # over budget: "answered" (a retry still gets success; the answer goes out by delivery once)
        if not await service.finish_inbound(inbound_id=inbound.message_id or 0, status="answered",
                                            only_if=("deferred", "redoing"), **outcome):
            return xml  # another run stored (and delivers) the answer: this one is dropped whole
    for part in rest:
        await jobs.enqueue("wechat.send_text", {"account_key": acc.key, "openid": inbound.openid, "text": part,
                                                "inbound_id": inbound.message_id})
    return xml


async def _with_pending(acc: Account, inbound: Inbound, reply: Reply, pending: int) -> tuple[Reply, list[str]]:
    """Merge waiting answers into a text reply; split a long text. Returns (reply, later parts)."""
    texts: list[str] = []
    if pending > 0 and not isinstance(reply, NewsReply):
        rows = await service.pending_for(account_key=acc.key, openid=inbound.openid)
        news_waiting = False
        for p in rows:
            if p.kind == "text":
                if await service.mark_delivered(pending_id=p.id, via="passive"):
                    texts.append(str(p.payload.get("text", "")))
                    await delivery.delivered(pending=p)
            else:
                news_waiting = True
        if news_waiting:
            await jobs.enqueue("wechat.flush_pending", {"account_key": acc.key, "openid": inbound.openid})
    elif pending > 0:
        await jobs.enqueue("wechat.flush_pending", {"account_key": acc.key, "openid": inbound.openid})
    if isinstance(reply, TextReply):
        texts.append(reply.content)
    if not texts:
        return reply, []
    parts = split_text("\n\n".join(texts), get_settings().wechat_max_text_bytes)
    return TextReply(parts[0]), parts[1:]


async def _defer(acc: Account, inbound: Inbound, task: asyncio.Task[str]) -> bool:
    """Over budget: mark deferred, let the handler finish in the background, and keep a safety job.

    False when the handler won the compare-and-set (it stored "done" in the meantime): then nothing is
    deferred, the passive reply is the one answer, and the caller returns it.
    """
    if not await service.finish_inbound(inbound_id=inbound.message_id or 0, status="deferred",
                                        only_if="processing"):
        return False
    await jobs.enqueue("wechat.reply_later", {"inbound_id": inbound.message_id},
                       run_at=_later(60), dedupe_key=f"wechat.reply_later:{inbound.message_id}")
    bg = asyncio.ensure_future(_finish_late(acc, inbound, task))
    _background.add(bg)
    bg.add_done_callback(_background.discard)
    return True


def _later(seconds: float) -> Any:
    return utcnow() + timedelta(seconds=seconds)


async def _finish_late(acc: Account, inbound: Inbound, task: asyncio.Task[str]) -> None:
    try:
        await task
    except Exception:
        metrics.caught("wechat.late", log, "late wechat handler failed: account=%s", acc.key)
        return  # the reply_later job re-runs it
    await deliver_stored(inbound_id=inbound.message_id or 0)


async def deliver_stored(*, inbound_id: int) -> str | None:
    """Send the stored answer of a deferred message once (compare-and-set answered → delivering → delivered).

    Only an "answered" message goes this way: a "done" one was answered passively (and a retry gets
    that same reply), so it is never also sent here.
    """
    row = await service.get_inbound(inbound_id)
    if row.status != "answered" or not row.reply_text:
        return None
    if not await service.finish_inbound(inbound_id=inbound_id, status="delivering", only_if="answered"):
        return None
    if row.reply_text.startswith("[图文] "):
        articles = _articles_from_xml(row.reply_xml or "")
        how = await delivery.deliver_news(account_key=row.account_key, openid=row.openid, articles=articles,
                                          inbound_id=inbound_id)
    else:
        how = await delivery.deliver_text(account_key=row.account_key, openid=row.openid, text=row.reply_text,
                                          inbound_id=inbound_id)
    await service.finish_inbound(inbound_id=inbound_id, status="delivered", only_if="delivering")
    return how


def _articles_from_xml(xml: str) -> list[dict[str, str]]:
    f = parse_xml(xml.encode("utf-8"))
    items = f.get("Articles", {}).get("item", [])
    if isinstance(items, dict):
        items = [items]
    return [{"title": i.get("Title", ""), "description": i.get("Description", ""), "url": i.get("Url", ""),
             "image": i.get("PicUrl", "")} for i in items]


async def reprocess(*, inbound_id: int, router: InboundRouter | None = None) -> str | None:
    """The reply_later job: deliver a stored late answer, or compute it again if its task died."""
    row = await service.get_inbound(inbound_id)
    if row.status == "answered":
        return await deliver_stored(inbound_id=inbound_id)
    if row.status != "deferred":
        return None
    acc = get_matrix().get(row.account_key)
    if acc is None:
        return None
    # "redoing", not "processing": a retry arriving now must still get success, never a passive reply
    if not await service.finish_inbound(inbound_id=inbound_id, status="redoing", only_if="deferred"):
        return None
    fields = dict(row.fields_json or {})
    inbound = _inbound_from(acc, fields)
    inbound.message_id = row.id
    inbound.created_at = row.created_at
    await _process(acc, inbound, router or default_router)
    return await deliver_stored(inbound_id=inbound_id)


__all__ = ["CallbackResult", "handle", "verify_url", "read_limited", "parse_xml", "render_reply", "split_text",
           "reprocess", "deliver_stored", "NO_REPLY", "_NoReply"]
