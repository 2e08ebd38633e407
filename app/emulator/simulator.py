"""The callback simulator: sends messages and events to a fawu callback as WeChat does.

Signs (and in safe/compat mode encrypts) each request, waits 5 s, tries 3 times, and decrypts replies.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.matrix.service import Account
from app.wechat import crypto
from app.wechat.envelope import Rejected, parse_xml
from app.wechat.replies import check_reply_xml

TIMEOUT = 5.0
TRIES = 3
# Where the simulator's LOCATION events and location messages are by default (a point in a Chinese
# district; the demo district is fictional, so any plausible coordinates do).
DEMO_LATITUDE, DEMO_LONGITUDE = 30.274085, 120.155070
_msg_ids = itertools.count(int(time.time() * 1000) * 1000 % 10**15)


def _cdata(v: Any) -> str:
    return "<![CDATA[" + str(v).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(fields: dict[str, Any]) -> str:
    """A flat WeChat XML document (strings as CDATA, numbers bare)."""
    parts = []
    for k, v in fields.items():
        if v is None:
            continue
        parts.append(f"<{k}>{v if isinstance(v, int) else _cdata(v)}</{k}>")
    return "<xml>" + "".join(parts) + "</xml>"


class InvalidReply(Exception):
    """The callback answered HTTP 200 with something WeChat cannot use."""


@dataclass
class Attempt:
    status: int | None
    error: str | None
    elapsed: float


@dataclass
class SimResult:
    """What the callback answered (after any retries)."""

    status: int | None
    body: str
    reply: dict[str, Any] | None  # the decrypted, parsed reply; None for success/empty
    attempts: list[Attempt] = field(default_factory=list)
    encrypted_reply: bool = False
    error: str | None = None  # the reply is one WeChat refuses (the resident sees "该公众号暂时无法提供服务")

    @property
    def text(self) -> str | None:
        if self.reply and self.reply.get("MsgType") == "text":
            return str(self.reply.get("Content", ""))
        return None

    @property
    def articles(self) -> list[dict[str, Any]]:
        if not self.reply or self.reply.get("MsgType") != "news":
            return []
        items = (self.reply.get("Articles") or {}).get("item", [])
        return [items] if isinstance(items, dict) else list(items)

    @property
    def is_success(self) -> bool:
        return self.status == 200 and self.error is None and self.body.strip() in ("success", "")


class CallbackSimulator:
    """WeChat's side of one account's callback (``base_url`` is fawu's address)."""

    def __init__(self, account: Account, *, base_url: str = "http://127.0.0.1:8000",
                 client: httpx.AsyncClient | None = None, timeout: float = TIMEOUT, tries: int = TRIES,
                 mode: str | None = None, path: str | None = None,
                 emulator: httpx.AsyncClient | None = None) -> None:
        """``emulator``: a client of the loopback WeChat's API (base_url set); when given, the resident and
        each interaction are recorded there too, as WeChat knows them (so customer-service sends succeed)."""
        self.account = account
        self.base_url = base_url.rstrip("/")
        self.path = path or f"/wechat/{account.key}"
        self.timeout = timeout
        self.tries = tries
        self.mode = mode or account.encryption_mode
        self._client = client
        self.crypto = crypto.AccountCrypto(account)
        self.emulator = emulator
        self.emulator_error: str | None = None

    # ---- building messages ----
    def text_xml(self, openid: str, content: str, *, msg_id: int | None = None,
                 create_time: int | None = None) -> str:
        return message_xml({"ToUserName": self.account.original_id, "FromUserName": openid,
                            "CreateTime": create_time or int(time.time()), "MsgType": "text",
                            "Content": content, "MsgId": msg_id or next(_msg_ids)})

    def voice_xml(self, openid: str, recognition: str, *, msg_id: int | None = None) -> str:
        return message_xml({"ToUserName": self.account.original_id, "FromUserName": openid,
                            "CreateTime": int(time.time()), "MsgType": "voice", "MediaId": secrets.token_hex(8),
                            "Format": "amr", "Recognition": recognition, "MsgId": msg_id or next(_msg_ids)})

    def _message(self, openid: str, kind: str, msg_id: int | None, **body: Any) -> str:
        return message_xml({"ToUserName": self.account.original_id, "FromUserName": openid,
                            "CreateTime": int(time.time()), "MsgType": kind, **body,
                            "MsgId": msg_id or next(_msg_ids)})

    def image_xml(self, openid: str, pic_url: str, *, msg_id: int | None = None) -> str:
        return self._message(openid, "image", msg_id, PicUrl=pic_url, MediaId=secrets.token_urlsafe(32))

    def location_xml(self, openid: str, latitude: float, longitude: float, *, label: str = "", scale: int = 15,
                     msg_id: int | None = None) -> str:
        """A location the resident sent from the chat (Location_X is the latitude, Location_Y the longitude)."""
        return self._message(openid, "location", msg_id, Location_X=f"{latitude:.6f}", Location_Y=f"{longitude:.6f}",
                             Scale=scale, Label=label)

    def link_xml(self, openid: str, url: str, *, title: str = "", description: str = "",
                 msg_id: int | None = None) -> str:
        return self._message(openid, "link", msg_id, Title=title or url, Description=description, Url=url)

    def event_xml(self, openid: str, event: str, event_key: str | None = None, *, create_time: int | None = None,
                  **extra: Any) -> str:
        """An event; a QR scan (SCAN, or subscribe with a ``qrscene_`` key) carries a Ticket and LOCATION its
        coordinates, as WeChat sends them (pass Ticket=, Latitude=, Longitude=, Precision= to choose them)."""
        fields: dict[str, Any] = {"ToUserName": self.account.original_id, "FromUserName": openid,
                                  "CreateTime": create_time or int(time.time()), "MsgType": "event",
                                  "Event": event}
        if event_key is not None:
            fields["EventKey"] = event_key
        name = event.lower()
        if name == "scan" or (name == "subscribe" and (event_key or "").startswith("qrscene_")):
            fields["Ticket"] = extra.pop("Ticket", None) or "gQ" + secrets.token_urlsafe(60)
        elif name == "location":
            fields["Latitude"] = f"{float(extra.pop('Latitude', DEMO_LATITUDE)):.6f}"
            fields["Longitude"] = f"{float(extra.pop('Longitude', DEMO_LONGITUDE)):.6f}"
            fields["Precision"] = f"{float(extra.pop('Precision', 65.0)):.6f}"
        fields.update(extra)
        return message_xml(fields)

    # ---- signing and encryption ----
    def sign(self, xml: str, *, timestamp: int | None = None, nonce: str | None = None,
             mode: str | None = None) -> tuple[dict[str, str], bytes]:
        """The query parameters and body WeChat would send for this message."""
        mode = mode or self.mode
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or secrets.token_hex(5)
        params = {"signature": crypto.sign(self.account.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                  "openid": self._openid_of(xml)}
        if mode == "plain":
            return params, xml.encode("utf-8")
        encrypt = self.crypto.encrypt(xml)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = crypto.sign(self.account.token, ts, nonce, encrypt)
        if mode == "safe":
            body = (f"<xml><ToUserName>{_cdata(self.account.original_id)}</ToUserName>"
                    f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>")
        else:  # compat: the plaintext fields and the ciphertext
            body = xml[: -len("</xml>")] + f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
        return params, body.encode("utf-8")

    @staticmethod
    def _openid_of(xml: str) -> str:
        start = xml.find("<FromUserName>")
        if start < 0:
            return ""
        seg = xml[start + 14: xml.find("</FromUserName>", start)]
        return seg.removeprefix("<![CDATA[").removesuffix("]]>")

    def decode_reply(self, body: str, openid: str | None = None) -> tuple[dict[str, Any] | None, bool]:
        """The reply as fields (decrypted and its MsgSignature checked); (None, False) for success.

        Raises InvalidReply for what WeChat refuses: not XML, malformed XML, a bad signature, or a reply
        without the fields of its MsgType (addressed to ``openid`` when given)."""
        text = body.strip()
        if not text or text == "success":
            return None, False
        if not text.startswith("<"):
            raise InvalidReply("回复既不是 success 也不是 XML")
        try:
            fields = parse_xml(text.encode("utf-8"))
        except Rejected as exc:
            raise InvalidReply(f"回复不是合法的 XML（{exc.reason}）") from exc
        encrypted = "Encrypt" in fields
        plain = text
        if encrypted:
            encrypt = str(fields["Encrypt"])
            if not self.crypto.check_msg_signature(str(fields.get("MsgSignature", "")),
                                                   str(fields.get("TimeStamp", "")), str(fields.get("Nonce", "")),
                                                   encrypt):
                raise InvalidReply("回复的 MsgSignature 不对")
            try:
                plain = self.crypto.decrypt(encrypt)
            except crypto.CryptoError as exc:
                raise InvalidReply("回复无法解密") from exc
        try:
            check_reply_xml(plain, source=self.account.original_id, target=openid)
        except Rejected as exc:
            raise InvalidReply(f"回复不合要求（{exc.reason}）") from exc
        return parse_xml(plain.encode("utf-8")), encrypted

    # ---- the emulator's side of WeChat ----
    async def mirror(self, xml: str) -> None:
        """Tell the loopback WeChat what this message is to it: a follower who interacted (a message opens
        the 48 h window, a click/scan/subscribe the 1-minute one, an unsubscribe closes them)."""
        if self.emulator is None:
            return
        try:
            f = parse_xml(xml.encode("utf-8"))
        except Rejected:
            return
        kind = interaction_of(f)
        if kind is None:
            return
        try:
            r = await self.emulator.post("/_control/interactions", json={
                "account_key": self.account.key, "openid": f.get("FromUserName", ""), "kind": kind})
            self.emulator_error = None if r.status_code == 200 else f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:  # the emulator is not running: the callback still gets the message
            self.emulator_error = type(exc).__name__

    # ---- sending ----
    async def post(self, xml: str, *, mode: str | None = None, params: dict[str, str] | None = None,
                   body: bytes | None = None) -> SimResult:
        """POST like WeChat: 5 s timeout, up to 3 tries on a timeout, a broken connection or a 5xx."""
        await self.mirror(xml)
        if params is None or body is None:
            params, body = self.sign(xml, mode=mode)
        attempts: list[Attempt] = []
        client = self._client or httpx.AsyncClient(timeout=self.timeout)
        try:
            for _ in range(self.tries):
                t0 = time.monotonic()
                try:
                    resp = await client.post(self.base_url + self.path, params=params, content=body,
                                             headers={"Content-Type": "text/xml"}, timeout=self.timeout)
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    attempts.append(Attempt(None, type(exc).__name__, time.monotonic() - t0))
                    continue
                attempts.append(Attempt(resp.status_code, None, time.monotonic() - t0))
                if resp.status_code >= 500 and len(attempts) < self.tries:
                    # undocumented choice: WeChat documents retries after a timeout; we assume it treats a
                    # server error (its alarm lists "回应失败") the same way and try again
                    continue
                if resp.status_code != 200:
                    return SimResult(resp.status_code, resp.text, None, attempts)
                try:
                    reply, enc = self.decode_reply(resp.text, params.get("openid") or None)
                except InvalidReply as exc:
                    return SimResult(resp.status_code, resp.text, None, attempts, error=str(exc))
                return SimResult(resp.status_code, resp.text, reply, attempts, enc)
        finally:
            if self._client is None:
                await client.aclose()
        return SimResult(None, "", None, attempts)

    async def text(self, openid: str, content: str, **kw: Any) -> SimResult:
        return await self.post(self.text_xml(openid, content), **kw)

    async def voice(self, openid: str, recognition: str, **kw: Any) -> SimResult:
        return await self.post(self.voice_xml(openid, recognition), **kw)

    async def image(self, openid: str, pic_url: str, **kw: Any) -> SimResult:
        return await self.post(self.image_xml(openid, pic_url), **kw)

    async def location(self, openid: str, latitude: float, longitude: float, label: str = "", **kw: Any) -> SimResult:
        return await self.post(self.location_xml(openid, latitude, longitude, label=label), **kw)

    async def link(self, openid: str, url: str, title: str = "", **kw: Any) -> SimResult:
        return await self.post(self.link_xml(openid, url, title=title), **kw)

    async def event(self, openid: str, event: str, event_key: str | None = None, **extra: Any) -> SimResult:
        return await self.post(self.event_xml(openid, event, event_key, **extra))

    async def verify_url(self, echostr: str | None = None, *, encrypted: bool | None = None) -> tuple[int, str, str]:
        """WeChat's URL check: (status, body, the echostr expected back)."""
        echostr = echostr or secrets.token_hex(8)
        ts, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {"signature": crypto.sign(self.account.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        if encrypted if encrypted is not None else self.mode != "plain":
            enc = self.crypto.encrypt(echostr)
            params["echostr"] = enc
            params["msg_signature"] = crypto.sign(self.account.token, ts, nonce, enc)
        else:
            params["echostr"] = echostr
        client = self._client or httpx.AsyncClient(timeout=self.timeout)
        try:
            resp = await client.get(self.base_url + self.path, params=params, timeout=self.timeout)
        finally:
            if self._client is None:
                await client.aclose()
        return resp.status_code, resp.text, echostr


def interaction_of(fields: dict[str, Any]) -> str | None:
    """What a message or event opens at WeChat: message, click, subscribe, scan, unsubscribe, or None."""
    if fields.get("MsgType") != "event":
        return "message"
    event = str(fields.get("Event", "")).lower()
    return {"subscribe": "subscribe", "scan": "scan", "unsubscribe": "unsubscribe", "click": "click",
            "scancode_push": "click", "scancode_waitmsg": "click"}.get(event)


async def run_many(sim: CallbackSimulator, xmls: list[str], *, concurrency: int = 8) -> list[SimResult]:
    """Send several messages with bounded concurrency (bench and demo)."""
    sem = asyncio.Semaphore(concurrency)

    async def one(x: str) -> SimResult:
        async with sem:
            return await sim.post(x)

    return await asyncio.gather(*(one(x) for x in xmls))


__all__ = ["CallbackSimulator", "SimResult", "InvalidReply", "message_xml"]


async def chat_turn(asgi_app: Any, account: Account, *, openid: str, kind: str, text: str = "",
                    event: str = "", event_key: str | None = None,
                    emulator: httpx.AsyncClient | None = None) -> dict[str, Any]:
    """One turn of the demo chat: send through the simulator to the app in-process, return the reply."""
    transport = httpx.ASGITransport(app=asgi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        sim = CallbackSimulator(account, base_url="http://demo", client=client, emulator=emulator)
        if kind == "text":
            res = await sim.text(openid, text)
        else:
            res = await sim.event(openid, event, event_key)
    return {
        "status": res.status,
        "error": res.error,
        "text": res.text,
        "articles": [{"title": a.get("Title", ""), "description": a.get("Description", ""),
                      "url": a.get("Url", ""), "image": a.get("PicUrl", "")} for a in res.articles],
        "encrypted": res.encrypted_reply,
        "mode": sim.mode,
        "ms": round(sum(a.elapsed for a in res.attempts) * 1000),
    }
