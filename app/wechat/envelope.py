"""The callback's envelope: the body read within a limit, signatures checked, decrypted, parsed safely.

Everything here raises Rejected (an HTTP status and a reason for the log), never anything else.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from app.config import get_settings
from app.core.clock import utcnow
from app.matrix.service import Account
from app.wechat import crypto
from app.wechat.router import Inbound

_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.\-]+)[\"']")


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_timestamp(timestamp: str) -> None:
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Rejected(403, "bad timestamp")
    window = get_settings().wechat_timestamp_window
    if window and abs(utcnow().timestamp() - int(timestamp)) > window:
        raise Rejected(403, "timestamp outside window")


def verify_and_decrypt(cr: Any, msg_signature: str | None, timestamp: str, nonce: str, encrypt: str) -> str:
    """Check msg_signature over the ciphertext, then decrypt it (the appid must be the account's)."""
    if not cr.check_msg_signature(msg_signature, timestamp, nonce, encrypt):
        raise Rejected(403, "bad msg_signature")
    try:
        return str(cr.decrypt(encrypt))
    except crypto.WrongAppId as exc:
        raise Rejected(403, "wrong appid") from exc
    except crypto.CryptoError as exc:
        raise Rejected(400, "undecryptable") from exc


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


def decode(acc: Account, params: dict[str, str], body: bytes) -> tuple[dict[str, Any], bool]:
    """Verify and decode the POST body: (fields, encrypted).

    Safe and compat accounts take only what WeChat sends them: ``encrypt_type=aes``, a ``msg_signature``
    over the ``Encrypt`` element, and a ciphertext that decrypts for this appid. In compat mode the
    plaintext fields WeChat sends beside the ciphertext must say what the ciphertext says; the
    decrypted fields are the ones used. Only plain accounts take a body covered by ``signature`` alone
    (its (timestamp, nonce) is then spent on one message: see callback._accept).
    """
    cr = crypto.for_account(acc)
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    check_timestamp(timestamp)
    if not cr.check_signature(params.get("signature"), timestamp, nonce):
        raise Rejected(403, "bad signature")
    outer = parse_xml(body)
    encrypted = params.get("encrypt_type", "").lower() == "aes"
    if acc.encryption_mode in ("safe", "compat") and not encrypted:
        raise Rejected(403, f"plaintext message to a {acc.encryption_mode}-mode account")
    if not encrypted:
        return outer, False
    if not cr.can_encrypt:
        raise Rejected(400, "encrypted message but no encoding_aes_key")
    encrypt = outer.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise Rejected(400, "missing Encrypt")
    plain = verify_and_decrypt(cr, params.get("msg_signature"), timestamp, nonce, encrypt)
    inner = parse_xml(plain.encode("utf-8"))
    differs = [k for k, v in outer.items() if k not in ("Encrypt", "ToUserName") and inner.get(k, v) != v]
    if differs:
        raise Rejected(403, "plaintext fields differ from the ciphertext: " + ",".join(sorted(differs))[:200])
    return inner, True


def inbound_from(acc: Account, f: dict[str, Any]) -> Inbound:
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
