"""/demo/chat in headless Chromium on a phone-sized screen: subscribe, type, tap a menu item."""

from __future__ import annotations

import pytest

from tests import needs
from tests.browser import CHROMIUM
from tests.browser import CHROMIUM_ARGS as ARGS
from tests.emulator.test_simulator import served
from tests.wechat.helpers import SAFE

pytestmark = [pytest.mark.browser]


async def test_demo_chat_in_a_phone_browser(app) -> None:
    needs.skip_unless(needs.chromium())
    from playwright.async_api import async_playwright

    async with served(app) as url, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 700}, is_mobile=True)
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            await page.goto(url + "/demo/chat")
            await page.select_option("#account", SAFE)
            await page.click("button[data-event=subscribe]")
            await page.wait_for_selector("text=欢迎关注云溪司法", timeout=5000)
            await page.fill("#text", "ZZT-echo 浏览器")
            await page.press("#text", "Enter")
            await page.wait_for_selector("text=回声：浏览器", timeout=5000)
            nav = page.locator(f"nav.menu[data-account={SAFE}]")
            assert await nav.is_visible()
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375 and not failed
        finally:
            await browser.close()
