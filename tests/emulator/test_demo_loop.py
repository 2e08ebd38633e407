"""The demo closes the loop (issue 23 §9): residents of /demo/chat and `fawu simulate` exist in the loopback
WeChat, so what the backend sends later reaches them (no 40003), fetch_user_info learns about them
without a traceback, and /demo/chat shows the later messages (it polls the emulator's record)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from click.testing import CliRunner

from app.jobs.models import Job
from app.wechat import delivery
from tests.emulator.live import live_emulator
from tests.emulator.test_simulator import _cli, served
from tests.emulator.test_simulator_browser import ARGS, CHROMIUM
from tests.wechat.helpers import SAFE


async def test_a_demo_chat_resident_gets_what_the_backend_sends_later(client, emulator, drain_jobs, caplog) -> None:
    openid = "o_demo_loop"
    r = await client.post("/demo/chat/send", json={"account_key": SAFE, "openid": openid, "kind": "event",
                                                   "event": "subscribe"})
    assert r.status_code == 200 and r.json()["error"] is None
    f = emulator.by_key(SAFE).followers.get(openid)
    assert f is not None and f.subscribed  # WeChat knows the resident
    with caplog.at_level(logging.INFO):
        await drain_jobs()  # wechat.fetch_user_info for the new follower
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR], caplog.text
    assert await Job.filter(name="wechat.fetch_user_info", status="done").count() == 1
    await client.post("/demo/chat/send", json={"account_key": SAFE, "openid": openid, "kind": "text",
                                               "text": "ZZT-echo 我要咨询"})
    assert await delivery.deliver_text(account_key=SAFE, openid=openid, text="您好，我是司法所的工作人员。") == "sent"
    pushed = (await client.get("/demo/chat/pushed", params={"account_key": SAFE, "openid": openid})).json()
    assert pushed == {"items": [{"text": "您好，我是司法所的工作人员。"}], "next": 1}
    again = (await client.get("/demo/chat/pushed", params={"account_key": SAFE, "openid": openid,
                                                           "after": 1})).json()
    assert again == {"items": [], "next": 1}


async def test_fetch_user_info_for_an_openid_wechat_does_not_know_ends_quietly(client, emulator, drain_jobs,
                                                                               caplog) -> None:
    from app.jobs import service as jobs

    await jobs.enqueue("wechat.fetch_user_info", {"account_key": SAFE, "openid": "o_nobody"})
    with caplog.at_level(logging.INFO):
        await drain_jobs()
    assert (await Job.get(name="wechat.fetch_user_info")).status == "done"
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_fawu_simulate_records_the_resident_in_the_emulator(app, settings) -> None:
    async with live_emulator(settings) as emu, served(app) as url:
        result = await asyncio.to_thread(CliRunner().invoke, _cli(), [
            "simulate", SAFE, "--url", url, "--emulator", emu.base_url, "--openid", "o_cli_loop",
            "--text", "ZZT-echo 在吗"])
        assert result.exit_code == 0, result.output
        f = emu.state.by_key(SAFE).followers.get("o_cli_loop")
        assert f is not None and f.long_until is not None  # a message opened WeChat's 48 h window
        off = await asyncio.to_thread(CliRunner().invoke, _cli(), [
            "simulate", SAFE, "--url", url, "--emulator", emu.base_url, "--no-emulator", "--openid", "o_cli_off",
            "--text", "ZZT-echo 在吗"])
        assert off.exit_code == 0 and "o_cli_off" not in emu.state.by_key(SAFE).followers


@pytest.mark.browser
async def test_demo_chat_shows_a_later_message_in_the_browser(app, emulator) -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium not installed")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright not installed")
    async with served(app) as url, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 700}, is_mobile=True)
            await page.goto(url + "/demo/chat")
            await page.select_option("#account", SAFE)
            await page.fill("#openid", "o_browser_loop")
            await page.dispatch_event("#openid", "change")
            await page.fill("#text", "ZZT-echo 有人吗")
            await page.press("#text", "Enter")
            await page.wait_for_selector("text=回声：有人吗", timeout=5000)
            await asyncio.sleep(3.5)  # the page has polled once for this resident
            assert await delivery.deliver_text(account_key=SAFE, openid="o_browser_loop",
                                               text="工作人员：请带上劳动合同。") == "sent"
            await page.wait_for_selector(".pushed >> text=工作人员：请带上劳动合同。", timeout=8000)
        finally:
            await browser.close()
