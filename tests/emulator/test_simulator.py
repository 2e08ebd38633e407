"""The callback simulator against a real uvicorn server: WeChat's timeout, retries and `fawu simulate`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import click
import pytest
import uvicorn
from click.testing import CliRunner

from app.emulator import simulator_commands
from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from app.wechat.models import InboundMessage
from tests.wechat.helpers import CALLS, PLAIN, SAFE


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app on 127.0.0.1 and a free port, in this event loop (shares the test database)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning",
                            log_config=None)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _cli() -> click.Group:
    group = click.Group()
    simulator_commands.register(group)
    return group


async def _wait_done(openid: str, timeout: float = 3.0) -> InboundMessage:
    end = time.monotonic() + timeout
    while True:
        row = await InboundMessage.get_or_none(openid=openid)
        if row is not None and row.status == "done":
            return row
        assert time.monotonic() < end
        await asyncio.sleep(0.05)


async def test_retry_after_timeout_gets_the_stored_reply(app) -> None:
    async with served(app) as url:
        sim = CallbackSimulator(get_matrix().get(SAFE), base_url=url, timeout=0.6)
        res = await sim.text("o_sim_retry", "ZZT-slow 0.8 稍等")
        # the first try times out; a retry (the second, or on a loaded machine the third) gets the
        # stored reply of the one handler run
        errors = [a.error for a in res.attempts]
        assert len(errors) >= 2 and errors[-1] is None and set(errors[:-1]) == {"ReadTimeout"}
        assert res.text == "慢答复：稍等" and res.encrypted_reply
        assert CALLS["slow:o_sim_retry"] == 1


async def test_three_tries_then_gives_up(app) -> None:
    async with served(app) as url:
        sim = CallbackSimulator(get_matrix().get(PLAIN), base_url=url, timeout=0.2)
        res = await sim.text("o_sim_giveup", "ZZT-slow 0.9 太慢")
        assert res.status is None and len(res.attempts) == 3
        assert all(a.error == "ReadTimeout" for a in res.attempts)
        row = await _wait_done("o_sim_giveup")
        assert row.reply_text == "慢答复：太慢" and CALLS["slow:o_sim_giveup"] == 1


async def test_connection_refused_is_retried() -> None:
    from app.matrix.service import load_matrix
    from tests.conftest import ROOT

    acc = load_matrix(ROOT / "matrix_accounts").get(PLAIN)
    res = await CallbackSimulator(acc, base_url="http://127.0.0.1:9", timeout=0.5).text("o", "x")
    assert res.status is None and len(res.attempts) == 3 and all(a.error for a in res.attempts)


@pytest.mark.parametrize("args, expected", [
    (["--text", "ZZT-echo 命令行"], "回声：命令行"),
    (["--event", "CLICK", "--key", "info:hotline"], "12348"),
    (["--verify"], "通过"),
])
async def test_fawu_simulate_prints_the_reply(app, settings, args, expected) -> None:
    async with served(app) as url:
        runner = CliRunner()
        result = await asyncio.to_thread(runner.invoke, _cli(), ["simulate", SAFE, "--url", url, *args])
    assert result.exit_code == 0, result.output
    assert expected in result.output


async def test_fawu_simulate_unknown_account(settings) -> None:
    result = CliRunner().invoke(_cli(), ["simulate", "nosuch", "--text", "x"])
    assert result.exit_code != 0 and "yx_district" in result.output
