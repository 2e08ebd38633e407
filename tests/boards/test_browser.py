"""The landing page in real headless Chromium: every demo board renders with its advisors' tel: links,
the consult button works, and nothing fails to load. Skipped without Chromium or playwright."""

from __future__ import annotations

import csv
from typing import Any

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.conftest import ROOT

PHONE_UA = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")

pytestmark = [pytest.mark.browser]


def _demo() -> tuple[list[dict[str, str]], dict[str, list[dict[str, str]]]]:
    with (ROOT / "content/org/boards.csv").open(encoding="utf-8-sig") as f:
        boards = list(csv.DictReader(f))
    advisors: dict[str, list[dict[str, str]]] = {}
    with (ROOT / "content/org/advisors.csv").open(encoding="utf-8-sig") as f:
        for a in csv.DictReader(f):
            advisors.setdefault(a["community_code"], []).append(a)
    return boards, advisors


async def test_every_demo_board_in_chromium(app: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    boards, advisors = _demo()
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = await browser.new_context(viewport={"width": 375, "height": 740}, user_agent=PHONE_UA,
                                            locale="zh-CN", is_mobile=True)
            page = await ctx.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("request", lambda r: errors.append(f"external {r.url}")
                    if not r.url.startswith(base) else None)
            for b in boards:
                resp = await page.goto(f"{base}/s/{b['code']}")
                assert resp is not None and resp.status == 200, b["code"]
                assert await page.locator("h1").inner_text() != ""
                for a in advisors.get(b["community_code"], []):
                    link = page.locator(f'a[href="tel:{a["phone"]}"]')
                    assert await link.count() == 1, (b["code"], a["name"])
                    assert a["name"] in await link.inner_text()
                    assert await link.is_visible()
                assert await page.locator('a[href="tel:12348"]').count() >= 1
                assert await page.locator(".b-act").count() == 5
            await page.goto(f"{base}/s/JXSQ01")
            await page.screenshot(path=str(ARTIFACTS / "board-landing.png"), full_page=True)
            # the consult button: a form that answers, with the board carried
            await page.click("a.b-consult")
            await page.wait_for_load_state()
            assert "board=JXSQ01" in page.url or "/s/JXSQ01/consult" in page.url
            if "/s/JXSQ01/consult" in page.url:
                await page.fill("textarea[name=text]", "邻居装修噪音太大怎么办")
                await page.click("button[type=submit]")
                await page.wait_for_load_state()
                body = await page.locator("body").inner_text()
                assert "邻居装修噪音太大怎么办" in body
                assert ("解答" in body) or ("即将开放" in body)
            # an unbuilt feature: a friendly page, never a 404
            await page.goto(f"{base}/s/JXSQ01")
            await page.click("a.b-mediation")
            await page.wait_for_load_state()
            assert "人民调解" in await page.locator("body").inner_text()
            cookies = {c["name"]: c["value"] for c in await ctx.cookies()}
            assert cookies.get("fawu_board") == "JXSQ01" and len(cookies.get("fawu_vid", "")) == 32
        finally:
            await browser.close()
    assert errors == []
