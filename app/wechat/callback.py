"""The callback pipeline: verify → parse safely → persist (de-dup) → dispatch within budget → render.

Used by app.wechat.routes (GET/POST /wechat/{account_key}); returns a CallbackResult, never raises.
The steps live beside it: envelope (verify, decrypt, parse), processing (the handler run), replies
(rendering), late (answers over budget).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from app.config import get_settings
from app.core import metrics
from app.jobs import service as jobs
from app.matrix.service import Account, get_matrix
from app.wechat import crypto, service
from app.wechat.envelope import (
    Rejected,
    check_timestamp,
    decode,
    inbound_from,
    verify_and_decrypt,
)
from app.wechat.late import defer, later
from app.wechat.processing import process
from app.wechat.router import Inbound, InboundRouter
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


@dataclass
class CallbackResult:
    status: int
    body: str
    media_type: str = TEXT_MEDIA
    outcome: str = "handled"  # handled, duplicate, rejected


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


def verify_url(*, account_key: str, params: dict[str, str]) -> CallbackResult:
    """Answer WeChat's URL check with the echostr (decrypted when it comes encrypted)."""
    label = account_key if get_matrix().get(account_key) else "unknown"
    try:
        acc = _account(account_key)
        cr = crypto.for_account(acc)
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        echostr = params.get("echostr", "")
        check_timestamp(timestamp)
        if not echostr:
            raise Rejected(400, "missing echostr")
        msg_signature = params.get("msg_signature")
        if msg_signature and cr.can_encrypt:
            echostr = verify_and_decrypt(cr, msg_signature, timestamp, nonce, echostr)
        elif not cr.check_signature(params.get("signature"), timestamp, nonce):
            raise Rejected(403, "bad signature")
    except Rejected as r:
        return _reject(label, r.status, r.reason)
    return CallbackResult(200, echostr, TEXT_MEDIA, "handled")


def _wrap(acc: Account, xml: str, encrypted: bool, params: dict[str, str]) -> CallbackResult:
    if not xml:
        return CallbackResult(200, SUCCESS, TEXT_MEDIA)
    if encrypted:
        xml = crypto.for_account(acc).encrypt_reply(xml, nonce=params.get("nonce") or None)
    return CallbackResult(200, xml, XML_MEDIA)


async def handle(*, account_key: str, params: dict[str, str], body: bytes | None,
                 router: InboundRouter | None = None, started: float | None = None) -> CallbackResult:
    """One POST from WeChat; never raises."""
    started = started or time.monotonic()
    label = account_key if get_matrix().get(account_key) else "unknown"
    try:
        acc = _account(account_key)
        if body is None:
            raise Rejected(400, "body too large")
        fields, encrypted = decode(acc, params, body)
        inbound = inbound_from(acc, fields)
    except Rejected as r:
        return _reject(label, r.status, r.reason)
    try:
        result = await _accept(acc, inbound, fields, encrypted, params, router or default_router, started)
    except Exception as exc:
        # never "success" here: the message may not be stored (the database is down), and "success"
        # tells WeChat never to send it again. An error status, late enough for WeChat's retry.
        if isinstance(exc, NotStored):
            metrics.caught("wechat.callback.unstored", log, "wechat message not stored (WeChat will retry): "
                           "account=%s cause=%s", acc.key, exc, level=logging.WARNING)
        else:
            metrics.caught("wechat.callback", log, "wechat callback failed (WeChat will retry): account=%s", acc.key)
        result = await _unstored(started)
    metrics.wechat_messages.labels(acc.key, result.outcome).inc()
    return result


class NotStored(Exception):
    """The message could not be stored within the hold time (the database did not answer)."""


async def _unstored(started: float) -> CallbackResult:
    """503, answered no sooner than ``wechat_unstored_hold`` after arrival. WeChat documents a retry when
    no answer comes within 5 s; it does not document what it does with an HTTP error (undocumented
    choice: hold past 5 s by default, so the documented retry happens either way)."""
    wait = started + get_settings().wechat_unstored_hold - time.monotonic()
    if wait > 0:
        await asyncio.sleep(wait)
    return CallbackResult(503, "busy", TEXT_MEDIA, "unstored")


async def _store(*, started: float, **row: Any) -> Any:
    """persist_inbound, tried again with back-off while the database fails, until the hold time is spent.

    An attempt that hangs (a connection pool waiting on a database that does not answer) is cut at the
    hold too; should its INSERT still land, WeChat's retry finds the stored message (nothing doubled)."""
    hold = started + get_settings().wechat_unstored_hold
    delay = 0.05
    while True:
        try:
            async with asyncio.timeout(max(hold - time.monotonic(), 0.05)):
                return await service.persist_inbound(**row)
        except Exception as exc:
            if time.monotonic() + delay >= hold:
                raise NotStored(f"{type(exc).__name__}: {exc}"[:300]) from exc
            log.warning("storing a wechat message failed, trying again: %s", type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)


def _msg_id(f: dict[str, Any]) -> str | None:
    """WeChat's MsgId as sent (19-20 digit ids do not fit a signed BIGINT, so it is kept as text)."""
    v = f.get("MsgId") or f.get("MsgID")
    return v.strip() if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) <= 20 else None


async def _accept(acc: Account, inbound: Inbound, fields: dict[str, Any], encrypted: bool,
                  params: dict[str, str], router: InboundRouter, started: float) -> CallbackResult:
    """Answer once: every status change is a compare-and-set on InboundMessage.status, so the passive
    path ("done": this reply and a retry's) and the deferred path ("deferred"/"redoing" → "answered" →
    "delivering" → "delivered", a retry gets success) exclude each other."""
    settings = get_settings()
    deadline = started + settings.wechat_reply_budget
    key = service.dedup_key(fields)
    known = inbound.kind in KNOWN_KINDS and (inbound.kind != "event" or inbound.event in KNOWN_EVENTS)
    # every (timestamp, nonce) carries one message, whatever the mode: a replayed signature with
    # another body is refused, WeChat's own retry (the same message) finds the stored one below
    sig_key = f"{params.get('timestamp', '')}:{params.get('nonce', '')}"[:64]
    row = await _store(
        started=started, account_key=acc.key, key=key, openid=inbound.openid, kind=inbound.kind, event=inbound.event,
        event_key=inbound.event_key, msg_id=_msg_id(fields), text=inbound.text, raw=fields, known=known,
        status="processing" if known else "done", sig_key=sig_key)
    if row is None:
        stored = await service.find_inbound(account_key=acc.key, key=key)
        if stored is None or stored.fields_json != fields:
            # not a retry of a stored message: a spent signature, or another message's MsgId, with a new body
            log.warning("wechat callback rejected: account=%s status=403 reason=signature reused", acc.key)
            return CallbackResult(403, "forbidden", TEXT_MEDIA, "rejected")
        return await _duplicate(acc, key, encrypted, params, deadline)
    if not known:
        log.info("wechat unknown message recorded: account=%s kind=%s event=%s", acc.key, inbound.kind,
                 inbound.event)
        return CallbackResult(200, SUCCESS, TEXT_MEDIA)
    inbound.message_id = row.id
    inbound.created_at = row.created_at
    task = asyncio.ensure_future(process(acc, inbound, router))
    remaining = deadline - time.monotonic()
    try:
        xml = await asyncio.wait_for(asyncio.shield(task), timeout=max(remaining, 0.01))
    except TimeoutError:
        if await defer(acc, inbound, task):
            return CallbackResult(200, SUCCESS, TEXT_MEDIA)
        xml = await task  # it finished ("done") just as the budget ran out: answer passively after all
    except Exception:  # e.g. the database failed mid-way: the reply_later job tries again later
        metrics.caught("wechat.process", log, "wechat processing failed: account=%s id=%s", acc.key,
                       inbound.message_id)
        await service.finish_inbound(inbound_id=row.id, status="deferred", only_if="processing")
        await jobs.enqueue("wechat.reply_later", {"inbound_id": row.id}, run_at=later(60),
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
