"""The inbox in real headless Chromium on a 390 px phone: nothing wider than the screen, the header
short, cases as cards; a new case arriving while the page is open puts a count in the title and a
sound-free banner (polled), and an urgent one turns the banner red. Skipped without Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.factories import PASSWORD, make_case, make_staff

pytestmark = [pytest.mark.browser]


async def _title_starts(page: Any, prefix: str) -> None:
    """Back to the tab (a focus event polls at once; otherwise every 15 s) until the title shows it."""
    import asyncio

    for _ in range(40):
        await page.evaluate("window.dispatchEvent(new Event('focus'))")
        await asyncio.sleep(0.25)
        if (await page.title()).startswith(prefix):
            return
    raise AssertionError(f"title never showed {prefix!r}: {await page.title()!r}")


async def test_inbox_on_a_phone_and_the_new_case_alert(app: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    await make_staff(username="phone", name="手机小王")
    for i in range(3):
        await make_case(summary=f"拖欠工资第{i}件，老板一直说下个月一起结清但是已经拖了半年，工地上二十多个人都没拿到钱")
    from app.cases.models import CaseNotice
    from app.core.clock import utcnow

    await CaseNotice.all().update(acked_at=utcnow())  # start with nothing unread
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                          device_scale_factor=2, is_mobile=True, has_touch=True)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            await page.goto(f"{base}/console/login")
            await page.fill("input[name=username]", "phone")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/console/inbox**")
            await page.goto(f"{base}/console/inbox?tab=all")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width}px wide on a 390px phone"
            header = await page.evaluate("document.querySelector('.c-top').getBoundingClientRect().height")
            assert header <= 110, f"the header takes {header}px"
            table = await page.evaluate("document.querySelector('#case-list').getBoundingClientRect().width")
            assert table <= 390
            assert await page.locator("#case-list tbody tr").count() == 3
            title = await page.title()
            assert not title.startswith("(")
            await page.screenshot(path=str(ARTIFACTS / "inbox-phone.png"), full_page=True)

            new = await make_case(summary="刚刚转来的新案件")  # while the page is open
            await _title_starts(page, "(1) ")
            banner = page.locator("#c-alert-banner")
            assert await banner.is_visible()
            assert new.number in await banner.inner_text()
            await make_case(summary="有人身危险", urgent=True)
            await _title_starts(page, "(3) ")  # the new case and the urgent one (new + urgent)
            assert "urgent" in (await banner.get_attribute("class") or "")
            assert "紧急" in await banner.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "inbox-phone-alert.png"), full_page=True)
            await page.click("#c-alert-banner a")
            await page.wait_for_url(f"{base}/console/cases/**")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the case page is {width}px wide on a 390px phone"
            await page.screenshot(path=str(ARTIFACTS / "case-phone.png"), full_page=True)
        finally:
            await browser.close()
    assert not errors, errors
