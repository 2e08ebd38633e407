"""The shared token cache: one refresh across "processes", compare-and-expire, on the database and on Redis."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import pytest

from app.core import clock
from app.wechat.tokens import DatabaseTokenStore, RedisTokenStore, TokenManager, TokenStore, TokenUnavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


class Issuer:
    """Plays WeChat's token endpoint: a new token each call, slow enough for callers to pile up."""

    def __init__(self) -> None:
        self.calls = 0
        self.failed: list[str | None] = []

    async def __call__(self, failed: str | None) -> tuple[str, int]:
        self.calls += 1
        self.failed.append(failed)
        await asyncio.sleep(0.05)
        return f"tok-{self.calls}-{secrets.token_hex(4)}", 7200


async def _one_refresh_for_many(stores: list[TokenStore], key: str) -> None:
    issuer = Issuer()
    managers = [TokenManager(s) for s in stores]  # each manager = one process
    got = await asyncio.gather(*(managers[i % len(managers)].get(key, issuer) for i in range(24)))
    assert issuer.calls == 1
    assert len(set(got)) == 1
    # WeChat refuses the token: every process reports it, only the first expire matters
    token = got[0]
    expired = await asyncio.gather(*(m.expire(key, token) for m in managers))
    assert expired.count(True) == 1
    got2 = await asyncio.gather(*(managers[i % len(managers)].get(key, issuer, failed=token) for i in range(12)))
    assert issuer.calls == 2 and issuer.failed[-1] == token
    assert len(set(got2)) == 1 and got2[0] != token
    # a late report about the old token does not expire the new one
    assert not await managers[0].expire(key, token)
    assert (await stores[0].get(key)).token == got2[0]  # type: ignore[union-attr]


async def test_database_store_one_refresh_across_processes(db: None) -> None:
    await _one_refresh_for_many([DatabaseTokenStore(), DatabaseTokenStore()], "yx_district")


async def test_database_store_refreshes_before_expiry_and_recovers_a_dead_lock(db: None) -> None:
    store = DatabaseTokenStore()
    issuer = Issuer()
    m = TokenManager(store, margin=300)
    first = await m.get("yx_shiqiao", issuer)
    now = clock.utcnow()
    try:
        clock.freeze(now + timedelta(seconds=7200 - 299))  # inside the refresh margin
        second = await m.get("yx_shiqiao", issuer)
        assert second != first and issuer.calls == 2
        # a process died holding the refresh lock: it lapses after its time
        assert await store.acquire("yx_shiqiao", "dead-process", 15)
        assert await store.expire_if("yx_shiqiao", second)
        with pytest.raises(TokenUnavailable):
            await TokenManager(store, wait_seconds=0.2).get("yx_shiqiao", issuer)
        clock.freeze(clock.utcnow() + timedelta(seconds=16))
        third = await TokenManager(store, wait_seconds=2).get("yx_shiqiao", issuer)
        assert third not in (first, second)
    finally:
        clock.freeze(None)


async def _redis_or_skip() -> RedisTokenStore:
    store = RedisTokenStore(REDIS_URL, prefix=f"fawu:test:{secrets.token_hex(4)}:")
    try:
        await asyncio.wait_for(store.redis.ping(), timeout=1)
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        await store.close()
        pytest.skip(f"needs Redis: {REDIS_URL} not reachable ({type(exc).__name__}) (start the service)")
    return store


async def test_redis_store_one_refresh_across_processes() -> None:
    a = await _redis_or_skip()
    b = RedisTokenStore(REDIS_URL, prefix=a.prefix)
    try:
        await _one_refresh_for_many([a, b], "yx_district")
        assert await a.redis.ttl(a.prefix + "yx_district") > 7000
    finally:
        keys = await a.redis.keys(a.prefix + "*")
        if keys:
            await a.redis.delete(*keys)
        await a.close()
        await b.close()


async def test_client_uses_redis_when_configured(db: None, settings: Any) -> None:
    """With redis_url set, two clients (two processes) share the token through Redis, not the database."""
    probe = await _redis_or_skip()
    await probe.close()
    from app.config import set_settings
    from app.matrix.service import load_matrix, set_matrix
    from app.wechat.client import WeChatClient
    from app.wechat.outbound_models import WechatToken
    from tests.conftest import make_settings
    from tests.emulator.live import live_emulator

    async with live_emulator(settings) as emu:
        s = make_settings(database_url=settings.database_url, wechat_api_base=emu.base_url, redis_url=REDIS_URL)
        set_settings(s)
        set_matrix(load_matrix(s.matrix_dir))
        one, two = WeChatClient(s), WeChatClient(s)
        key = "fawu:wxtoken:yx_taoyuan"
        try:
            await one.tokens.store.redis.delete(key)  # type: ignore[attr-defined]
            t1, t2 = await asyncio.gather(one.access_token("yx_taoyuan"), two.access_token("yx_taoyuan"))
            assert t1 == t2
            assert emu.state.calls.get("cgi-bin/stable_token") == 1
            assert await one.tokens.store.redis.exists(key)  # type: ignore[attr-defined]
            assert not await WechatToken.filter(account_key="yx_taoyuan").exists()
        finally:
            await one.tokens.store.redis.delete(key)  # type: ignore[attr-defined]
            await one.aclose()
            await two.aclose()
            set_matrix(None)
