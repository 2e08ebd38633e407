"""The shared access-token cache: Redis when settings.redis_url is set, the database otherwise.

All processes read the same token. One process refreshes at a time (a lock, then a second check),
and a token that WeChat refused is expired only if it is still the stored one (compare-and-expire),
so a 40001 storm ends in a single refresh. A failed fetch is shared too: every caller of every
process waits out a back-off (doubling, capped) instead of asking WeChat again, so an outage of the
token endpoint costs one call per back-off, not one per caller.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from app.core import metrics
from app.core.clock import utcnow
from app.wechat.outbound_models import WechatToken

log = logging.getLogger("fawu.wechat.tokens")

LOCK_SECONDS = 15.0


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: datetime

    def fresh(self, now: datetime, margin: int) -> bool:
        return bool(self.token) and self.expires_at - timedelta(seconds=margin) > now


@dataclass(frozen=True)
class TokenFailure:
    """The last failed fetch: how many in a row, until when no one asks again, what WeChat said."""

    count: int
    until: datetime
    errcode: int
    errmsg: str


class TokenStore(Protocol):
    async def get(self, key: str) -> CachedToken | None: ...
    async def failure(self, key: str) -> TokenFailure | None: ...
    async def put_failure(self, key: str, failure: TokenFailure) -> None: ...
    async def put(self, key: str, token: CachedToken) -> None: ...
    async def expire_if(self, key: str, token: str) -> bool: ...
    async def acquire(self, key: str, owner: str, seconds: float) -> bool: ...
    async def release(self, key: str, owner: str) -> None: ...


class DatabaseTokenStore:
    """Tokens in the wechat_token table; the lock is a conditional UPDATE of the same row."""

    async def _ensure(self, key: str) -> None:
        if not await WechatToken.filter(account_key=key).exists():
            try:
                await WechatToken.create(account_key=key)
            except IntegrityError:
                pass  # another process created it

    async def get(self, key: str) -> CachedToken | None:
        row = await WechatToken.filter(account_key=key).values("access_token", "expires_at")
        if not row or not row[0]["access_token"] or row[0]["expires_at"] is None:
            return None
        exp = row[0]["expires_at"]
        if exp.tzinfo is None:
            exp = exp.replace(tzinfo=UTC)
        return CachedToken(row[0]["access_token"], exp)

    async def put(self, key: str, token: CachedToken) -> None:
        await self._ensure(key)
        await WechatToken.filter(account_key=key).update(
            access_token=token.token, expires_at=token.expires_at, refreshed_at=utcnow(),
            refresh_count=F("refresh_count") + 1, failures=0, failed_until=None, failure="")

    async def failure(self, key: str) -> TokenFailure | None:
        rows = await WechatToken.filter(account_key=key).values("failures", "failed_until", "failure")
        if not rows or not rows[0]["failures"] or rows[0]["failed_until"] is None:
            return None
        until = rows[0]["failed_until"]
        code, _, msg = str(rows[0]["failure"]).partition(" ")
        return TokenFailure(int(rows[0]["failures"]), until if until.tzinfo else until.replace(tzinfo=UTC),
                            int(code) if code.lstrip("-").isdigit() else -1, msg)

    async def put_failure(self, key: str, failure: TokenFailure) -> None:
        await self._ensure(key)
        await WechatToken.filter(account_key=key).update(
            failures=failure.count, failed_until=failure.until, failure=f"{failure.errcode} {failure.errmsg}"[:200])

    async def expire_if(self, key: str, token: str) -> bool:
        n = await WechatToken.filter(account_key=key, access_token=token).update(access_token="", expires_at=None)
        return n > 0

    async def acquire(self, key: str, owner: str, seconds: float) -> bool:
        await self._ensure(key)
        now = utcnow()
        n = await WechatToken.filter(Q(account_key=key) & (Q(lock_until__isnull=True) | Q(lock_until__lt=now))).update(
            lock_owner=owner, lock_until=now + timedelta(seconds=seconds))
        return n > 0

    async def release(self, key: str, owner: str) -> None:
        await WechatToken.filter(account_key=key, lock_owner=owner).update(lock_owner="", lock_until=None)


_EXPIRE_IF = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"
_FIELD_SEP = "\n"


class RedisTokenStore:
    """Tokens in Redis: ``fawu:wxtoken:<key>`` holds "token\\nexpires_at"; the lock is SET NX PX."""

    def __init__(self, url: str, prefix: str = "fawu:wxtoken:") -> None:
        # function-level: redis only when redis_url is set
        import redis.asyncio as aioredis

        self.redis: Any = aioredis.from_url(url, socket_timeout=3, decode_responses=True)
        self.prefix = prefix

    async def get(self, key: str) -> CachedToken | None:
        raw = await self.redis.get(self.prefix + key)
        if not raw or _FIELD_SEP not in raw:
            return None
        token, exp = raw.split(_FIELD_SEP, 1)
        return CachedToken(token, datetime.fromtimestamp(float(exp), UTC))

    async def put(self, key: str, token: CachedToken) -> None:
        ttl = max(1, int((token.expires_at - utcnow()).total_seconds()))
        await self.redis.set(self.prefix + key, f"{token.token}{_FIELD_SEP}{token.expires_at.timestamp()}", ex=ttl)
        await self.redis.delete(self.prefix + "fail:" + key)

    async def failure(self, key: str) -> TokenFailure | None:
        raw = await self.redis.get(self.prefix + "fail:" + key)
        if not raw:
            return None
        count, until, code, msg = (raw.split(_FIELD_SEP, 3) + ["", "", ""])[:4]
        return TokenFailure(int(count), datetime.fromtimestamp(float(until), UTC), int(code or -1), msg)

    async def put_failure(self, key: str, failure: TokenFailure) -> None:
        # kept past the back-off (for the doubling), forgotten an hour after the last failure
        value = _FIELD_SEP.join((str(failure.count), str(failure.until.timestamp()), str(failure.errcode),
                                 failure.errmsg.replace(_FIELD_SEP, " ")))
        await self.redis.set(self.prefix + "fail:" + key, value, ex=3600)

    async def expire_if(self, key: str, token: str) -> bool:
        raw = await self.redis.get(self.prefix + key)
        if not raw or not raw.startswith(token + _FIELD_SEP):
            return False
        return bool(await self.redis.eval(_EXPIRE_IF, 1, self.prefix + key, raw))

    async def acquire(self, key: str, owner: str, seconds: float) -> bool:
        return bool(await self.redis.set(self.prefix + "lock:" + key, owner, nx=True, px=int(seconds * 1000)))

    async def release(self, key: str, owner: str) -> None:
        await self.redis.eval(_EXPIRE_IF, 1, self.prefix + "lock:" + key, owner)

    async def close(self) -> None:
        await self.redis.aclose()


Fetcher = Callable[[str | None], Awaitable[tuple[str, int]]]
"""Fetches a new token from WeChat; gets the token that just failed (or None); returns (token, expires_in)."""


class TokenUnavailable(Exception):
    """No token could be obtained: another process holds the refresh lock for too long."""


class TokenBackoff(TokenUnavailable):
    """A fetch failed a moment ago (in this process or another): no one asks WeChat again before
    ``failure.until``."""

    def __init__(self, key: str, failure: TokenFailure) -> None:
        super().__init__(key)
        self.failure = failure


class TokenManager:
    """Get, refresh and expire access tokens through a shared store."""

    def __init__(self, store: TokenStore, *, margin: int = 300, lock_seconds: float = LOCK_SECONDS,
                 wait_seconds: float = 10.0, failure_backoff: float = 5.0, max_backoff: float = 300.0) -> None:
        self.store = store
        self.margin = margin
        self.failure_backoff = failure_backoff
        self.max_backoff = max_backoff
        self.lock_seconds = lock_seconds
        self.wait_seconds = wait_seconds
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._local: dict[str, asyncio.Lock] = {}
        self.refreshes = 0

    async def get(self, key: str, fetch: Fetcher, *, failed: str | None = None) -> str:
        """A fresh token of an account, refreshing it (once, across all processes) when needed.

        Raises TokenBackoff while a recent failed fetch is being waited out, and the fetch's own error
        for the one caller that tried it."""
        cached = await self.store.get(key)
        if cached and cached.fresh(utcnow(), self.margin):
            return cached.token
        lock = self._local.setdefault(key, asyncio.Lock())
        async with lock:
            cached = await self.store.get(key)
            if cached and cached.fresh(utcnow(), self.margin):
                return cached.token
            await self._not_backing_off(key)
            deadline = time.monotonic() + self.wait_seconds
            while not await self.store.acquire(key, self.owner, self.lock_seconds):
                if time.monotonic() > deadline:
                    raise TokenUnavailable(key)
                await asyncio.sleep(0.05 + secrets.randbelow(50) / 1000)
                cached = await self.store.get(key)
                if cached and cached.fresh(utcnow(), self.margin):
                    return cached.token
                await self._not_backing_off(key)
            try:
                cached = await self.store.get(key)  # second check under the lock
                if cached and cached.fresh(utcnow(), self.margin):
                    return cached.token
                previous = await self._not_backing_off(key)
                try:
                    token, expires_in = await fetch(failed)
                except Exception as exc:
                    await self._record_failure(key, previous, exc)
                    raise
                self.refreshes += 1
                await self.store.put(key, CachedToken(token, utcnow() + timedelta(seconds=int(expires_in))))
                return token
            finally:
                await self.store.release(key, self.owner)

    async def _not_backing_off(self, key: str) -> TokenFailure | None:
        """The last failure (for the doubling); raises TokenBackoff while it is being waited out."""
        failure = await self.store.failure(key)
        if failure is not None and failure.until > utcnow():
            raise TokenBackoff(key, failure)
        return failure

    async def _record_failure(self, key: str, previous: TokenFailure | None, exc: Exception) -> None:
        count = (previous.count if previous else 0) + 1
        wait = min(self.failure_backoff * 2 ** (count - 1), self.max_backoff)
        failure = TokenFailure(count, utcnow() + timedelta(seconds=wait), int(getattr(exc, "errcode", -1)),
                               str(getattr(exc, "errmsg", "") or type(exc).__name__)[:150])
        try:
            await self.store.put_failure(key, failure)
        except Exception:  # the store itself is failing: the caller's error says enough
            metrics.caught("wechat.token_failure", log, "could not share a token failure of %s", key,
                           level=logging.WARNING)

    async def expire(self, key: str, token: str) -> bool:
        """Compare-and-expire: forget the token only if it is still the stored one."""
        return await self.store.expire_if(key, token)

    async def peek(self, key: str) -> CachedToken | None:
        return await self.store.get(key)


def make_store(redis_url: str) -> TokenStore:
    return RedisTokenStore(redis_url) if redis_url else DatabaseTokenStore()
