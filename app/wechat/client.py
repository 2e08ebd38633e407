"""The async WeChat API client: one per process, for every account of the matrix and the mini-program.

Every endpoint goes through ``settings.wechat_api_base`` (WeChat, or the loopback emulator). Tokens
come from the shared cache (app.wechat.tokens); 40001/40014/42001 expire the failed token
(compare-and-expire) and retry once (once more if the newer token is refused too); a failed token
fetch is shared by every caller (back-off); -1 is retried with jittered back-off; 45009 stops and
alerts; 45015/45047 close the customer-service window. Every failure is a typed WeChatAPIError.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import httpx

from app.config import Settings, get_settings
from app.core import metrics
from app.matrix.service import Account, get_matrix
from app.wechat import lifecycle, windows
from app.wechat.api_content import ContentAPI
from app.wechat.api_messages import MASS_CHUNK_MAX, MessagesAPI, split_openids  # split_openids: public here
from app.wechat.errors import (
    ApiQuotaExceeded,
    CredentialError,
    MassQuotaExceeded,
    SystemBusy,
    TokenInvalid,
    Unauthorized,
    WeChatAPIError,
    WeChatTimeout,
    WindowClosed,
    error_for,
)
from app.wechat.tokens import TokenBackoff, TokenManager, TokenUnavailable, make_store

log = logging.getLogger("fawu.wechat.client")


class WeChatClient(MessagesAPI, ContentAPI):
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
                                   margin=self.settings.wechat_token_refresh_margin,
                                   failure_backoff=self.settings.wechat_token_failure_backoff)
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
        except httpx.TransportError as exc:
            metrics.wechat_api_errors.labels(account_key, endpoint, "network").inc()
            if method == "GET":  # a read (user info, a GET token): safe to ask again like -1
                raise SystemBusy(-1, f"network error: {type(exc).__name__}", endpoint=endpoint,
                                 account_key=account_key) from exc
            # a write may have arrived (a send, a QR code, a menu): never retried
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
            refused = error_for(code, str(data.get("errmsg", "")), endpoint=endpoint, account_key=account_key)
            refused.response = data  # e.g. 45065 names the earlier send's msg_id
            raise refused
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
        refused: list[str] = []  # tokens WeChat refused during this call
        failed: str | None = None
        while True:
            token = ""
            try:
                query = dict(params or {})
                if with_token:
                    try:
                        token = await self.tokens.get(account.key, lambda f: self._fetch_token(account, f),
                                                      failed=failed)
                    except TokenBackoff as exc:  # a fetch failed a moment ago: not asked again yet
                        f = exc.failure
                        raise error_for(f.errcode, f"token fetch failed {f.count}x, next try after "
                                        f"{f.until:%H:%M:%S} UTC: {f.errmsg}", endpoint=path.lstrip("/"),
                                        account_key=account.key) from exc
                    except TokenUnavailable as exc:
                        raise SystemBusy(-1, "token refresh held by another process too long",
                                         endpoint=path.lstrip("/"), account_key=account.key) from exc
                    query["access_token"] = token
                return await self._send(method, path, account_key=account.key, params=query, json=json,
                                        files=files, binary=binary)
            except TokenInvalid:
                # retried once after the refusal; once more only if a newer token was refused too (others
                # refreshed meanwhile, or a burst of 40001): never the same token twice, never a loop
                if not with_token or not token or token in refused or len(refused) >= 2:
                    raise
                refused.append(token)
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


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")



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
