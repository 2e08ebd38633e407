"""The board page's 预约 button and the booking form in real headless Chromium: scan page → 预约办事 →
service → nearest point → slot → form → confirmation with the code. Skipped without Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.booking.conftest import POINT
from tests.browser import CHROMIUM, CHROMIUM_ARGS, serve, skip_reason

pytestmark = [pytest.mark.browser]


async def test_booking_from_the_board_page_in_chromium(app: Any, plan: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    from app.booking.models import Booking

    errors: list[str] = []
    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = await browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
            page = await ctx.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            await page.goto(f"{base}/s/TYC01")
            await page.get_by_text("预约办事").click()
            await page.wait_for_url("**/booking?board=TYC01**")
            assert "即将开放" not in await page.content()
            await page.get_by_role("link", name="公证咨询").click()
            await page.get_by_role("link", name="桃源镇公共法律服务工作站").click()
            await page.locator('input[name="slot"][value="2026-12-08T09:00"]').check()
            await page.fill('input[name="name"]', "浏览器")
            await page.fill('input[name="phone"]', "13100131000")
            await page.check('input[name="consent"]')
            await page.get_by_role("button", name="提交预约").click()
            await page.wait_for_selector("#booking-code")
            code = await page.locator("#booking-code").inner_text()
            assert await page.locator("#booking-time").inner_text() == "12月8日 周二 09:00"
        finally:
            await browser.close()
    b = await Booking.get(code=code)
    assert b.point_code == POINT and b.board_code == "TYC01" and b.channel == "page"
    assert errors == []
