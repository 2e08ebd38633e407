"""Token failures are shared (issue 27 §9): an outage of WeChat's token endpoint is not hammered by every
caller of every process, and a 40001 in the middle of a burst fails no call."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from app.core import clock
from app.wechat import errors
from app.wechat.client import WeChatClient
from tests.wechat.test_client import SERVICE, Rig, _rig


@pytest.fixture
async def rig(db: None, settings: Any):  # type: ignore[no-untyped-def]
    # a generous HTTP timeout: on a loaded machine a slow answer must not count as a token failure
    async for r in _rig(settings, wechat_http_timeout=20.0, wechat_token_failure_backoff=5.0):
        yield r


async def test_a_token_outage_costs_one_call_not_one_per_caller(rig: Rig) -> None:
    openid = await rig.follower(SERVICE)
    other = WeChatClient(rig.client.settings)  # a second process: shares the store, not the memory
    other.busy_backoff = 0.01
    try:
        await rig.fault("cgi-bin/stable_token", kind="errcode", errcode=-1, count=100_000)
        clients = [rig.client, other]
        results = await asyncio.gather(*(clients[i % 2].user_info(SERVICE, openid) for i in range(200)),
                                       return_exceptions=True)
        assert all(isinstance(r, errors.SystemBusy) for r in results), {type(r) for r in results}
        assert rig.calls("cgi-bin/stable_token") == 1  # 200 callers, 2 processes, 3 tries each: one call
        # still inside the back-off: nobody asks
        with pytest.raises(errors.SystemBusy):
            await other.user_info(SERVICE, openid)
        assert rig.calls("cgi-bin/stable_token") == 1
        # after the back-off one caller asks again; it fails again: the next back-off is twice as long
        now = clock.utcnow()
        clock.freeze(now + timedelta(seconds=6))
        await asyncio.gather(*(rig.client.user_info(SERVICE, openid) for _ in range(50)), return_exceptions=True)
        assert rig.calls("cgi-bin/stable_token") == 2
        clock.freeze(now + timedelta(seconds=6 + 8))  # 8 s later: still inside the doubled 10 s
        await asyncio.gather(*(rig.client.user_info(SERVICE, openid) for _ in range(50)), return_exceptions=True)
        assert rig.calls("cgi-bin/stable_token") == 2
        # WeChat is back: after the back-off everyone gets the one new token
        async with rig.emu.control() as c:
            await c.delete("/_control/faults")
        clock.freeze(now + timedelta(seconds=6 + 11))
        infos = await asyncio.gather(*(clients[i % 2].user_info(SERVICE, openid) for i in range(100)))
        assert all(i["openid"] == openid for i in infos)
        assert rig.calls("cgi-bin/stable_token") == 3
    finally:
        clock.freeze(None)
        await other.aclose()


@pytest.mark.parametrize("how", ["injected", "revoked"])
async def test_a_40001_mid_burst_fails_no_call(rig: Rig, how: str) -> None:
    openid = await rig.follower(SERVICE)
    await rig.client.access_token(SERVICE)

    async def call(i: int) -> Any:
        await asyncio.sleep(i * 0.002)  # a burst spread over ~0.4 s
        return await rig.client.user_info(SERVICE, openid)

    tasks = [asyncio.create_task(call(i)) for i in range(200)]
    await asyncio.sleep(0.15)  # mid-burst
    async with rig.emu.control() as c:
        if how == "injected":
            r = await c.post("/_control/faults", json={"endpoint": "*", "kind": "errcode",
                                                       "errcode": 40001, "count": 30})
        else:  # the token really stops working (someone refreshed it long ago)
            r = await c.post("/_control/tokens/revoke", json={"account_key": SERVICE})
        assert r.status_code == 200
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert rig.calls("cgi-bin/stable_token") <= 4  # a few refreshes, not one per refused call
