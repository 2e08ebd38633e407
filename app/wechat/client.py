"""The async WeChat API client: one per process, for every account of the matrix and the mini-program.

Every endpoint goes through ``settings.wechat_api_base`` (WeChat, or the loopback emulator). Tokens
come from the shared cache (app.wechat.tokens); 40001/40014/42001 expire the failed token
(compare-and-expire) and retry exactly once; -1 is retried with jittered back-off; 45009 stops and
alerts; 45015/45047 close the customer-service window. Every failure is a typed WeChatAPIError.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import secrets
from typing import Any
from urllib.parse import quote

import httpx

from app.config import Settings, get_settings
from app.core import metrics
from app.matrix.service import Account, get_matrix
from app.wechat import lifecycle, quotas, windows
from app.wechat.errors import (
    ApiQuotaExceeded,
    CredentialError,
    InvalidRequest,
    MassQuotaExceeded,
    SystemBusy,
    TokenInvalid,
    Unauthorized,
    WeChatAPIError,
    WeChatTimeout,
    WindowClosed,
    error_for,
)
from app.wechat.tokens import TokenManager, TokenUnavailable, make_store

log = logging.getLogger("fawu.wechat.client")

WXACODE_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
MASS_CHUNK_MAX = 10_000
MASS_CHUNK_MIN = 2


def split_openids(openids: list[str], size: int = MASS_CHUNK_MAX) -> list[list[str]]:
    """Split a de-duplicated OpenID list into chunks of 2..size (WeChat refuses 1 or more than 10,000)."""
    unique = list(dict.fromkeys(openids))
    if len(unique) < MASS_CHUNK_MIN:
        raise InvalidRequest(40130, "invalid openid list size, at least two openid", endpoint="mass/send")
    chunks = [unique[i:i + size] for i in range(0, len(unique), size)]
    if len(chunks) > 1 and len(chunks[-1]) < MASS_CHUNK_MIN:
        chunks[-1].insert(0, chunks[-2].pop())
    return chunks


def _article(a: Any) -> dict[str, str]:
    get = a.get if isinstance(a, dict) else (lambda k, d="": getattr(a, k, d))
    return {"title": str(get("title", "")), "description": str(get("description", "")),
            "url": str(get("url", "")), "picurl": str(get("picurl", "") or get("image", ""))}


class WeChatClient:
    """Async client of the WeChat server API (official accounts and the mini-program)."""

    busy_tries = 3
    busy_backoff = 0.2  # seconds; doubled each try, with jitter
    mass_chunk_size = MASS_CHUNK_MAX

    def __init__(self, settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings or get_settings()
        self.timeout = self.settings.wechat_http_timeout
        self.http = httpx.AsyncClient(base_url=self.settings.wechat_api_base, timeout=self.timeout,
                                      transport=transport, headers={"User-Agent": "fawu"})
        self.tokens = TokenManager(make_store(self.settings.redis_url),
                                   margin=self.settings.wechat_token_refresh_margin)
        self.loop: asyncio.AbstractEventLoop | None = None

    async def aclose(self) -> None:
        await self.http.aclose()
        close = getattr(self.tokens.store, "close", None)
        if close is not None:
            try:
                await close()
            except Exception:  # closing at shutdown: nothing left to do about it
                metrics.caught("wechat.client.close", log, "token store close failed", level=logging.DEBUG)

    # ---- accounts ----
    def account(self, account_key: str) -> Account:
        acc = get_matrix().get(account_key)
        if acc is None:
            raise CredentialError(40013, f"unknown account {account_key!r}", account_key=account_key)
        return acc

    def miniprogram(self) -> Account:
        acc = get_matrix().miniprogram()
        if acc is None:
            raise CredentialError(40013, "no mini-program in the matrix")
        return acc

    # ---- transport ----
    async def _send(self, method: str, path: str, *, account_key: str, params: dict[str, Any] | None = None,
                    json: Any = None, files: Any = None, binary: bool = False) -> Any:
        """One HTTP exchange; returns the JSON dict (or image bytes) or raises the typed error."""
        endpoint = path.lstrip("/")
        metrics.wechat_api_calls.labels(account_key, endpoint).inc()
        try:
            async with asyncio.timeout(self.timeout):
                if json is not None:
                    body = _json_bytes(json)
                    resp = await self.http.request(method, path, params=params, content=body,
                                                   headers={"Content-Type": "application/json; charset=utf-8"})
                else:
                    resp = await self.http.request(method, path, params=params, files=files)
        except (TimeoutError, httpx.TimeoutException) as exc:
            metrics.wechat_api_errors.labels(account_key, endpoint, "timeout").inc()
            raise WeChatTimeout(-2, f"timeout after {self.timeout}s", endpoint=endpoint,
                                account_key=account_key) from exc
        except httpx.ConnectError as exc:  # nothing was sent: safe to retry like -1
            metrics.wechat_api_errors.labels(account_key, endpoint, "network").inc()
            raise SystemBusy(-1, f"cannot connect: {exc}", endpoint=endpoint, account_key=account_key) from exc
        except httpx.TransportError as exc:  # the request may have arrived: never retried
            metrics.wechat_api_errors.labels(account_key, endpoint, "network").inc()
            raise WeChatAPIError(-3, f"network error: {type(exc).__name__}", endpoint=endpoint,
                                 account_key=account_key) from exc
        ctype = resp.headers.get("content-type", "")
        if binary and resp.status_code == 200 and not ctype.startswith(("application/json", "text/")):
            return resp.content
        if resp.status_code >= 500:
            metrics.wechat_api_errors.labels(account_key, endpoint, "-1").inc()
            raise SystemBusy(-1, f"http {resp.status_code}", endpoint=endpoint, account_key=account_key)
        try:
            data = resp.json()
        except ValueError as exc:
            metrics.wechat_api_errors.labels(account_key, endpoint, "badjson").inc()
            raise WeChatAPIError(-3, f"not JSON (http {resp.status_code})", endpoint=endpoint,
                                 account_key=account_key) from exc
        code = int(data.get("errcode", 0) or 0) if isinstance(data, dict) else 0
        if code:
            metrics.wechat_api_errors.labels(account_key, endpoint, str(code)).inc()
            raise error_for(code, str(data.get("errmsg", "")), endpoint=endpoint, account_key=account_key)
        return data

    async def _fetch_token(self, account: Account, failed: str | None) -> tuple[str, int]:
        """Ask WeChat for a token (stable_token by default). ``failed`` is the token just refused."""
        if self.settings.wechat_use_stable_token:
            body = {"grant_type": "client_credential", "appid": account.appid, "secret": account.secret,
                    "force_refresh": False}
            data = await self._send("POST", "/cgi-bin/stable_token", account_key=account.key, json=body)
            if failed is not None and data["access_token"] == failed:
                # WeChat keeps handing out the token it refused: force a new one (20/day, >= 30 s apart)
                body["force_refresh"] = True
                data = await self._send("POST", "/cgi-bin/stable_token", account_key=account.key, json=body)
        else:
            data = await self._send("GET", "/cgi-bin/token", account_key=account.key, params={
                "grant_type": "client_credential", "appid": account.appid, "secret": account.secret})
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def access_token(self, account_key: str) -> str:
        """The account's current access token (from the shared cache, refreshed when needed)."""
        account = self.account(account_key)
        return await self.tokens.get(account.key, lambda failed: self._fetch_token(account, failed))

    async def call(self, account_key: str, method: str, path: str, *, params: dict[str, Any] | None = None,
                   json: Any = None, files: Any = None, binary: bool = False, with_token: bool = True,
                   openid: str | None = None) -> Any:
        """Call an endpoint with the account's token and WeChat's error policy."""
        account = self.account(account_key)
        busy = 0
        token_retried = False
        failed: str | None = None
        while True:
            token = ""
            try:
                query = dict(params or {})
                if with_token:
                    try:
                        token = await self.tokens.get(account.key, lambda f: self._fetch_token(account, f),
                                                      failed=failed)
                    except TokenUnavailable as exc:
                        raise SystemBusy(-1, "token refresh held by another process too long",
                                         endpoint=path.lstrip("/"), account_key=account.key) from exc
                    query["access_token"] = token
                return await self._send(method, path, account_key=account.key, params=query, json=json,
                                        files=files, binary=binary)
            except TokenInvalid:
                if not with_token or token_retried or not token:
                    raise
                token_retried = True
                failed = token
                await self.tokens.expire(account.key, token)
                log.info("token of %s refused, refreshed once", account.key)
            except SystemBusy:
                busy += 1
                if busy >= self.busy_tries:
                    raise
                await asyncio.sleep(self.busy_backoff * (2 ** (busy - 1)) * (0.5 + random.random()))
            except ApiQuotaExceeded as exc:
                log.error("WeChat API quota reached: account %s %s [%s] %s: calls stopped until the quota "
                          "resets or is cleared", account.key, exc.endpoint, exc.errcode, exc.errmsg)
                raise
            except WindowClosed:
                if openid:
                    await windows.mark_closed(account_key=account.key, openid=openid)
                raise

    # ---- customer-service messages ----
    async def _custom(self, account_key: str, openid: str, message: dict[str, Any], enforce_window: bool) -> dict:
        if enforce_window:
            reason = await windows.closed_reason(account_key=account_key, openid=openid)
            if reason is not None:
                raise WindowClosed(reason, "customer-service window closed (checked before the call)",
                                   endpoint="cgi-bin/message/custom/send", account_key=account_key)
        return await self.call(account_key, "POST", "/cgi-bin/message/custom/send",
                               json={"touser": openid, **message}, openid=openid)

    async def send_custom_text(self, account_key: str, openid: str, content: str, *,
                               enforce_window: bool = True) -> dict:
        return await self._custom(account_key, openid, {"msgtype": "text", "text": {"content": content}},
                                  enforce_window)

    async def send_custom_news(self, account_key: str, openid: str, articles: list[Any], *,
                               enforce_window: bool = True) -> dict:
        """A news message (WeChat shows one article in customer-service news)."""
        items = [_article(a) for a in articles][:1]
        return await self._custom(account_key, openid, {"msgtype": "news", "news": {"articles": items}},
                                  enforce_window)

    async def send_custom_miniprogram(self, account_key: str, openid: str, title: str, pagepath: str,
                                      thumb_media_id: str, *, enforce_window: bool = True) -> dict:
        card = {"title": title, "appid": self.miniprogram().appid, "pagepath": pagepath,
                "thumb_media_id": thumb_media_id}
        return await self._custom(account_key, openid, {"msgtype": "miniprogrampage", "miniprogrampage": card},
                                  enforce_window)

    # ---- templates and subscription notifications ----
    async def send_template(self, account_key: str, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None, miniprogram: dict[str, str] | None = None) -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _values(data)}
        if url:
            body["url"] = url
        if miniprogram:
            body["miniprogram"] = miniprogram
        return await self.call(account_key, "POST", "/cgi-bin/message/template/send", json=body)

    async def send_subscribe_bizsend(self, account_key: str, openid: str, template_id: str,
                                     data: dict[str, Any], page: str | None = None) -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _values(data)}
        if page:
            body["page"] = page
        return await self.call(account_key, "POST", "/cgi-bin/message/subscribe/bizsend", json=body)

    async def mp_subscribe_send(self, openid: str, template_id: str, data: dict[str, Any],
                                page: str | None = None, miniprogram_state: str = "formal") -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _values(data),
                                "miniprogram_state": miniprogram_state, "lang": "zh_CN"}
        if page:
            body["page"] = page
        return await self.call(self.miniprogram().key, "POST", "/cgi-bin/message/subscribe/send", json=body)

    # ---- mass sends ----
    async def mass_send_by_tag(self, account_key: str, *, msgtype: str, body: dict[str, Any],
                               tag_id: int | None = None, is_to_all: bool = False, clientmsgid: str | None = None,
                               send_ignore_reprint: bool = False) -> dict:
        """Mass send to a tag (or everyone); the quota is checked first and the send recorded."""
        account = self.account(account_key)
        target = "all" if is_to_all else "tag"
        refusal = await quotas.mass_refusal(account=account, target=target)
        if refusal is not None:
            raise _local(refusal, account_key, "cgi-bin/message/mass/sendall")
        flt: dict[str, Any] = {"is_to_all": is_to_all}
        if not is_to_all:
            flt["tag_id"] = tag_id
        clientmsgid = clientmsgid or secrets.token_hex(12)
        payload = {"filter": flt, "msgtype": msgtype, msgtype: body,
                   "send_ignore_reprint": int(send_ignore_reprint), "clientmsgid": clientmsgid}
        data = await self.call(account_key, "POST", "/cgi-bin/message/mass/sendall", json=payload)
        await quotas.record_mass_send(account_key=account_key, target=target, result=data, clientmsgid=clientmsgid,
                                      msgtype=msgtype, tag_id=tag_id)
        return data

    async def mass_send_by_openids(self, account_key: str, *, openids: list[str], msgtype: str,
                                   body: dict[str, Any], clientmsgid: str | None = None,
                                   send_ignore_reprint: bool = False) -> list[dict]:
        """Mass send to an OpenID list in chunks of 2..10,000 (one clientmsgid each).

        Verified service accounts only; followers who already had 4 mass sends this month are left
        out before the call. Returns one result per chunk (msg_id, msg_data_id, clientmsgid, count).
        """
        account = self.account(account_key)
        endpoint = "cgi-bin/message/mass/send"
        refusal = await quotas.mass_refusal(account=account, target="openids")
        if refusal is not None:
            raise _local(refusal, account_key, endpoint)
        eligible = await quotas.eligible_openids(account_key=account_key, openids=openids)
        if not eligible:
            raise _local(45028, account_key, endpoint)
        base = (clientmsgid or secrets.token_hex(12))[:56]
        results: list[dict] = []
        for i, chunk in enumerate(split_openids(eligible, self.mass_chunk_size)):
            cid = f"{base}-{i}"
            payload = {"touser": chunk, "msgtype": msgtype, msgtype: body,
                       "send_ignore_reprint": int(send_ignore_reprint), "clientmsgid": cid}
            data = await self.call(account_key, "POST", "/cgi-bin/message/mass/send", json=payload)
            await quotas.record_mass_send(account_key=account_key, target="openids", result=data, clientmsgid=cid,
                                          msgtype=msgtype, openids=chunk)
            results.append({"msg_id": data.get("msg_id"), "msg_data_id": data.get("msg_data_id"),
                            "clientmsgid": cid, "count": len(chunk)})
        return results

    async def mass_get(self, account_key: str, msg_id: int | str) -> dict:
        return await self.call(account_key, "POST", "/cgi-bin/message/mass/get", json={"msg_id": int(msg_id)})

    # ---- drafts, publishing, material ----
    async def draft_add(self, account_key: str, articles: list[dict[str, Any]]) -> str:
        data = await self.call(account_key, "POST", "/cgi-bin/draft/add", json={"articles": articles})
        return str(data["media_id"])

    async def draft_update(self, account_key: str, media_id: str, index: int, article: dict[str, Any]) -> dict:
        return await self.call(account_key, "POST", "/cgi-bin/draft/update",
                               json={"media_id": media_id, "index": index, "articles": article})

    async def freepublish_submit(self, account_key: str, media_id: str) -> dict:
        return await self.call(account_key, "POST", "/cgi-bin/freepublish/submit", json={"media_id": media_id})

    async def material_upload(self, account_key: str, *, media_type: str, filename: str, content: bytes,
                              content_type: str = "image/png") -> dict:
        """Upload permanent material (image, voice, video, thumb); returns media_id (and url for images)."""
        return await self.call(account_key, "POST", "/cgi-bin/material/add_material", params={"type": media_type},
                               files={"media": (filename, content, content_type)})

    # ---- QR codes ----
    async def create_qrcode(self, account_key: str, *, scene_str: str | None = None, scene_id: int | None = None,
                            permanent: bool = True, expire_seconds: int | None = None) -> dict:
        """A parametric QR code: returns ticket, url and (temporary codes) expire_seconds."""
        if (scene_str is None) == (scene_id is None):
            raise InvalidRequest(40097, "give exactly one of scene_str and scene_id", account_key=account_key,
                                 endpoint="cgi-bin/qrcode/create")
        if scene_str is not None:
            action = "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE"
            scene: dict[str, Any] = {"scene_str": scene_str}
        else:
            action = "QR_LIMIT_SCENE" if permanent else "QR_SCENE"
            scene = {"scene_id": scene_id}
        body: dict[str, Any] = {"action_name": action, "action_info": {"scene": scene}}
        if not permanent and expire_seconds is not None:
            body["expire_seconds"] = expire_seconds
        return await self.call(account_key, "POST", "/cgi-bin/qrcode/create", json=body)

    def qrcode_image_url(self, ticket: str) -> str:
        base = self.settings.wechat_api_base
        if "api.weixin.qq.com" in base:
            return f"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={quote(ticket)}"
        return f"{base}/cgi-bin/showqrcode?ticket={quote(ticket)}"

    # ---- mini-program ----
    async def get_wxacode_unlimited(self, *, scene: str, page: str, width: int = 430, check_path: bool = False,
                                    env_version: str = "release") -> bytes:
        """The mini-program code PNG for a scene (≤ 32 visible characters of WeChat's charset)."""
        if not WXACODE_SCENE_RE.match(scene):
            raise InvalidRequest(40097, "invalid scene (1-32 chars of [0-9A-Za-z!#$&'()*+,/:;=?@-._~])",
                                 endpoint="wxa/getwxacodeunlimit")
        body = {"scene": scene, "page": page, "width": width, "check_path": check_path, "env_version": env_version}
        return await self.call(self.miniprogram().key, "POST", "/wxa/getwxacodeunlimit", json=body, binary=True)

    async def jscode2session(self, js_code: str) -> dict:
        mp = self.miniprogram()
        return await self.call(mp.key, "GET", "/sns/jscode2session", with_token=False, params={
            "appid": mp.appid, "secret": mp.secret, "js_code": js_code, "grant_type": "authorization_code"})

    # ---- menu, users, tags ----
    async def menu_create(self, account_key: str, menu: list[dict[str, Any]] | dict[str, Any]) -> dict:
        body = menu if isinstance(menu, dict) else {"button": menu}
        return await self.call(account_key, "POST", "/cgi-bin/menu/create", json=body)

    async def menu_get(self, account_key: str) -> dict | None:
        """The current menu ({"menu": {"button": [...]}}), or None when the account has none (46003)."""
        try:
            return await self.call(account_key, "GET", "/cgi-bin/menu/get")
        except WeChatAPIError as exc:
            if exc.errcode == 46003:
                return None
            raise

    async def user_info(self, account_key: str, openid: str, lang: str = "zh_CN") -> dict:
        return await self.call(account_key, "GET", "/cgi-bin/user/info", params={"openid": openid, "lang": lang})

    async def user_batchget(self, account_key: str, openids: list[str], lang: str = "zh_CN") -> list[dict]:
        out: list[dict] = []
        for i in range(0, len(openids), 100):
            data = await self.call(account_key, "POST", "/cgi-bin/user/info/batchget", json={
                "user_list": [{"openid": o, "lang": lang} for o in openids[i:i + 100]]})
            out.extend(data.get("user_info_list", []))
        return out

    async def tags_create(self, account_key: str, name: str) -> dict:
        data = await self.call(account_key, "POST", "/cgi-bin/tags/create", json={"tag": {"name": name}})
        return data["tag"]

    async def tags_get(self, account_key: str) -> list[dict]:
        data = await self.call(account_key, "GET", "/cgi-bin/tags/get")
        return list(data.get("tags", []))

    async def tags_members_batchtagging(self, account_key: str, tag_id: int, openids: list[str]) -> None:
        for i in range(0, len(openids), 50):
            await self.call(account_key, "POST", "/cgi-bin/tags/members/batchtagging",
                            json={"openid_list": openids[i:i + 50], "tagid": tag_id})


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """Template data as WeChat wants it: {"key": {"value": ...}} (plain values are wrapped)."""
    return {k: (v if isinstance(v, dict) else {"value": str(v)}) for k, v in data.items()}


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _local(code: int, account_key: str, endpoint: str) -> WeChatAPIError:
    """An error found before calling (quota or permission), with the code WeChat would have given."""
    texts = {48001: "api unauthorized (checked before the call)",
             45028: "has no masssend quota (checked before the call)"}
    exc = error_for(code, texts.get(code, ""), endpoint=endpoint, account_key=account_key)
    metrics.wechat_api_errors.labels(account_key, endpoint, f"local:{code}").inc()
    return exc


_client: WeChatClient | None = None
_transport: httpx.AsyncBaseTransport | None = None


def get_client() -> WeChatClient:
    """The process's client (rebuilt when the settings, the transport or the event loop changed)."""
    global _client
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    settings = get_settings()
    if _client is None or _client.settings is not settings or (loop is not None and _client.loop not in (None, loop)):
        _client = WeChatClient(settings, transport=_transport)
    if _client.loop is None and loop is not None:
        _client.loop = loop
    return _client


def use_transport(transport: httpx.AsyncBaseTransport | None) -> None:
    """Route the client through an httpx transport (tests: the emulator in-process); None = real HTTP."""
    global _client, _transport
    _transport = transport
    _client = None


async def _close() -> None:
    global _client
    if _client is not None:
        client, _client = _client, None
        await client.aclose()


lifecycle.on_shutdown(_close)

__all__ = ["WeChatClient", "get_client", "use_transport", "split_openids", "MassQuotaExceeded", "Unauthorized"]
