"""The analytics pages in headless Chromium, as a district administrator: statistics (week and month),
the early warnings and one warning, the three rates; a screenshot of each chart page
(test-artifacts/analytics-*.png), no console error, no failed request. Skipped without Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from app.analytics import tasks
from app.core.actor import Role
from tests.analytics.conftest import TODAY, seed, week_ago
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.factories import PASSWORD, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("frozen")]


async def test_analytics_pages_in_the_browser(app: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    rows = []
    for n in range(1, 10):
        rows += [(week_ago(n), "YXJD", "JXSQ", "labor", f"y{n}-", 3), (week_ago(n), "SQZ", "SQSQ", "labor", f"s{n}-", 6),
                 (week_ago(n), "TYZ", "TYC", "marriage_family", f"t{n}-", 5)]
    rows += [(TODAY, "YXJD", "JXSQ", "labor", "now", 16), (TODAY, "SQZ", "SQSQ", "traffic", "tr", 7)]
    await seed(rows)
    from tests.analytics.test_rates import _rated

    await _rated("YXJD", "JXSQ", ["非常满意"] * 6 + ["满意"] * 3 + ["不满意"], TODAY)
    await _rated("SQZ", "SQSQ", ["满意"] * 4 + ["基本满意", "非常不满意"], TODAY)
    await tasks.daily()
    from app.analytics.models import EarlyWarning

    warning = await EarlyWarning.filter(township_code="YXJD", community_code="").first()
    assert warning is not None
    await make_staff(username="admin", name="区管理员", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            await page.goto(f"{base}/console/login")
            await page.fill("input[name=username]", "admin")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_load_state()
            await page.click("nav >> text=统计分析")
            await page.wait_for_url(f"{base}/console/analytics")
            assert await page.locator("svg").count() >= 3
            assert "未办结的矛盾预警" in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "analytics-stats.png"), full_page=True)
            await page.select_option("select[name=period]", "month")
            await page.click("form.c-filters button[type=submit]")
            await page.wait_for_url("**/console/analytics?*period=month*")
            await page.screenshot(path=str(ARTIFACTS / "analytics-month.png"), full_page=True)
            await page.click("text=矛盾预警")
            await page.wait_for_url(f"{base}/console/analytics/warnings")
            await page.screenshot(path=str(ARTIFACTS / "analytics-warnings.png"), full_page=True)
            await page.goto(f"{base}/console/analytics/warnings/{warning.id}")
            assert "依据" in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "analytics-warning.png"), full_page=True)
            await page.click("text=三率")
            await page.wait_for_url(f"{base}/console/analytics/rates")
            assert "满意率" in await page.content() and "90.0%" in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "analytics-rates.png"), full_page=True)
        finally:
            await browser.close()
    assert errors == []
