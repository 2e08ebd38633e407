"""The public catalogue pages in headless Chromium on a phone-sized screen: search the catalogue, find a
mediator by township and speciality, open a case; large type, labelled fields, big targets, no sideways
scrolling; screenshots in test-artifacts/. Skipped without Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason

pytestmark = [pytest.mark.browser]

# Checks every page must pass for older readers on a phone.
ACCESSIBLE = """() => {
  const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
  const unlabelled = controls.filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')).map(c => c.name);
  const small = [...document.querySelectorAll('main a.cell, button, select, input')]
    .filter(e => e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 60));
  return {unlabelled, small, font: parseFloat(getComputedStyle(document.body).fontSize),
          sideways: document.documentElement.scrollWidth > window.innerWidth + 1, lang: document.documentElement.lang};
}"""


async def test_catalogue_directory_and_cases_on_a_phone(app: Any, catalog: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import Page, async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []

    async def check(page: Page, name: str) -> None:
        found = await page.evaluate(ACCESSIBLE)
        assert found["unlabelled"] == [] and found["small"] == [], (name, found)
        assert found["font"] >= 18 and not found["sideways"] and found["lang"] == "zh-CN", (name, found)
        await page.screenshot(path=str(ARTIFACTS / f"catalog-{name}.png"), full_page=True)

    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = await browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN",
                                            device_scale_factor=2, is_mobile=True, has_touch=True)
            page = await ctx.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            await page.goto(f"{base}/catalog?board=JXSQ01")
            await check(page, "services")
            await page.fill("#q", "遗嘱")
            await page.click("button[type=submit]")
            await page.wait_for_load_state()
            await page.click("text=遗嘱公证")
            await page.wait_for_load_state()
            assert "15 个工作日内出具公证书" in await page.inner_text("main")
            await check(page, "service")

            await page.click("text=找机构人员")
            await page.wait_for_load_state()
            await page.select_option("#township", "TYZ")
            await page.select_option("#speciality", "房产土地")
            await page.select_option("#kind", "mediator")
            await page.click("button[type=submit]")
            await page.wait_for_load_state()
            results = await page.inner_text("section[aria-label=查找结果]")
            assert "沈德明" in results and "许春燕" not in results, results
            await check(page, "providers")
            await page.click("text=沈德明")
            await page.wait_for_load_state()
            assert "桃源镇人民调解委员会" in await page.inner_text("main")
            await check(page, "provider")

            await page.click("text=典型案例")
            await page.wait_for_load_state()
            await page.fill("#q", "欠薪")
            await page.click("button[type=submit]")
            await page.wait_for_load_state()
            await page.click("text=包工头失联，总包单位先行清偿农民工工资")
            await page.wait_for_load_state()
            text = await page.inner_text("main")
            assert "典型意义" in text and "《保障农民工工资支付条例》第三十条" in text
            await check(page, "case")
            assert errors == [], errors
        finally:
            await browser.close()
