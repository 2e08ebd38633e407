"""A connection that breaks mid-exchange: a read (GET) is asked again, a write (POST) never is, because
WeChat may have acted on it (a customer-service message sent twice reaches the resident twice)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.config import set_settings
from app.matrix.service import load_matrix, set_matrix
from app.wechat import errors
from app.wechat.client import WeChatClient
from tests.conftest import make_settings
from tests.emulator.live import live_emulator
from tests.wechat.test_client import SERVICE, Rig


class BreakOnce(httpx.AsyncBaseTransport):
    """Real HTTP to the emulator, but the first request to ``path`` dies with a ReadError after it was sent."""

    def __init__(self, path: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.path = path
        self.broken = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path and not self.broken:
            self.broken += 1
            await self.inner.handle_async_request(request)  # it arrived ...
            raise httpx.ReadError("connection reset by peer", request=request)  # ... the answer did not
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def broken(db: None, settings: Any, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Rig, BreakOnce]]:
    async with live_emulator(settings) as emu:
        s = make_settings(database_url=settings.database_url, wechat_api_base=emu.base_url)
        set_settings(s)
        set_matrix(load_matrix(s.matrix_dir))
        transport = BreakOnce(request.param)
        client = WeChatClient(s, transport=transport)
        client.busy_backoff = 0.01
        try:
            yield Rig(client, emu), transport
        finally:
            await client.aclose()
            set_matrix(None)


@pytest.mark.parametrize("broken", ["/cgi-bin/user/info"], indirect=True)
async def test_a_read_broken_mid_answer_is_asked_again(broken: tuple[Rig, BreakOnce]) -> None:
    rig, transport = broken
    openid = await rig.follower(SERVICE)
    info = await rig.client.user_info(SERVICE, openid)
    assert info["openid"] == openid
    assert transport.broken == 1
    assert rig.calls("cgi-bin/user/info") == 2


@pytest.mark.parametrize("broken", ["/cgi-bin/message/custom/send"], indirect=True)
async def test_a_write_broken_mid_answer_is_not_sent_twice(broken: tuple[Rig, BreakOnce]) -> None:
    rig, transport = broken
    openid = await rig.follower(SERVICE, interaction="message")
    with pytest.raises(errors.WeChatAPIError) as exc:
        await rig.client.send_custom_text(SERVICE, openid, "您好")
    assert exc.value.errcode == -3
    assert not isinstance(exc.value, errors.SystemBusy)
    assert len(await rig.sent("custom")) == 1  # it arrived once, and only once
