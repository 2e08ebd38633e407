"""The survey dashboard in real headless Chromium: the figures page with its charts (inline SVG, no
CDN), the rate with its denominator, the bad-review list, the dashboard tile; the resident's form taps
a level and submits. Skipped without Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from app.surveys import service
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.factories import PASSWORD, make_staff

pytestmark = [pytest.mark.browser]


async def test_survey_dashboard_and_the_resident_form(app: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    await make_staff(username="district", name="王主任", role="district_admin", unit_codes=["YX"])
    invs = []
    for i, (unit, level) in enumerate([("YXJD", 1), ("YXJD", 2), ("TYZ", 5), ("TYZ", None)]):
        inv = await service.invite(service.ServiceRef(service_key=f"booking:b{i}", service_type="appointment",
                                                      service="mediation", township_code=unit, provider="张三"))
        invs.append(inv)
        if level is not None:
            await service.answer(invitation_id=inv.id, level=level, via="board")
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("request", lambda r: errors.append(f"external {r.url}") if not r.url.startswith(base) else None)
            await page.goto(f"{base}/console/login")
            await page.fill("input[name=username]", "district")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/console/**")
            await page.goto(f"{base}/console/surveys")
            assert "66.7%（2/3）" in await page.inner_text("#kpi-satisfaction")
            assert "75.0%（3/4）" in await page.inner_text("#kpi-response")
            assert await page.locator(".c-chart svg").count() >= 2  # the ring and the bars
            await page.screenshot(path=str(ARTIFACTS / "surveys-dashboard.png"), full_page=True)
            await page.click("text=差评整改")
            await page.wait_for_url(f"{base}/console/surveys/bad**")
            assert await page.locator("#bad-reviews tbody tr").count() == 1
            await page.goto(f"{base}/console/dashboard")
            assert "满意率 66.7%（2/3）" in await page.inner_text("#satisfaction-denominator")
            # the resident's page, in another (staff-free) browser context
            ctx = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
            resident = await ctx.new_page()
            await resident.goto(f"{base}/survey/t/{service.make_token(invs[3])}")
            await resident.check("input[name=level][value='2']")
            await resident.click("#survey-form button[type=submit]")
            await resident.wait_for_selector("#done")
            width = await resident.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the form is {width}px wide on a 390px phone"
        finally:
            await browser.close()
    assert errors == [], errors
    assert (await service.response_of(invitation_id=invs[3].id)) is not None
