"""Survey test fixtures: the loopback WeChat (emulator) behind app.wechat.client, a fixture KB so the
consultation answers, and helpers to read what residents received."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.emulator.server import create_emulator_app
from app.wechat import client as wechat_client
from tests.consult.conftest import FIXTURE_KB


@pytest.fixture
async def emu(app: Any, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    emulator_app = create_emulator_app(settings)
    wechat_client.use_transport(httpx.ASGITransport(app=emulator_app))
    ctl = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator_app), base_url="http://emu")
    yield ctl
    await ctl.aclose()
    wechat_client.use_transport(None)


@pytest.fixture
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    engine.get_engine()  # built now, not inside the first callback's time budget
    yield
    engine.use_folder(None)


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    from app.core import calendar, clock
    from app.surveys import definitions

    calendar.load_file(None)
    definitions.reset_cache()
    yield
    clock.freeze(None)
    calendar.load_file(None)
    definitions.reset_cache()


async def custom_texts(ctl: httpx.AsyncClient, key: str, openid: str | None = None) -> list[str]:
    items = (await ctl.get("/_control/sent", params={"kind": "custom", "account_key": key})).json()
    return [i["text"]["content"] for i in items
            if i.get("msgtype") == "text" and (openid is None or i.get("openid") == openid)]


async def follower(ctl: httpx.AsyncClient, key: str, openid: str, kind: str = "message") -> None:
    """A follower known to the emulator who just did something (opens WeChat's window there)."""
    await ctl.post("/_control/interactions", json={"account_key": key, "openid": openid, "kind": kind})
