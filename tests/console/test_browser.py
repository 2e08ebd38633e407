"""The console in real headless Chromium: log in (forced password change), take a case from the
inbox, reply with a quick reply, give the result; then a screenshot of the dashboard
(test-artifacts/dashboard.png). One browser launch for the module; skipped without Chromium."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.factories import PASSWORD, make_case, make_staff

pytestmark = [pytest.mark.browser]


async def test_take_reply_result_and_dashboard(app: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    await make_staff(username="yxjd", name="云溪街道小王", must_change_password=True)
    case = await make_case(summary="公司拖欠工资三个月不发，想申请劳动仲裁")
    await make_case(summary="离婚后抚养费怎么算", category="marriage_family")
    await make_case(summary="石桥镇的案件", township_code="SQZ", community_code="SQSQ")
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []

    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))

            await page.goto(f"{base}/console/inbox")
            assert page.url.startswith(f"{base}/console/login")
            await page.screenshot(path=str(ARTIFACTS / "login.png"))
            await page.fill("input[name=username]", "yxjd")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/console/password")
            await page.fill("input[name=old_password]", PASSWORD)
            await page.fill("input[name=new_password]", "new-secret-2026")
            await page.fill("input[name=confirm]", "new-secret-2026")
            await page.click("form[action='/console/password'] button[type=submit]")
            await page.wait_for_url(f"{base}/console/inbox?notice=password")

            await page.click("a[data-tab=unassigned]")
            assert await page.locator("a[data-tab=unassigned] .c-count").inner_text() == "2"
            assert "石桥镇的案件" not in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
            await page.click(f"text={case.number}")
            await page.wait_for_url(f"{base}/console/cases/{case.id}")
            await page.click("#take-btn")
            await page.wait_for_url(f"**/console/cases/{case.id}?notice=take")
            assert "您是该案件的负责人" in await page.inner_text(".c-flash.ok")

            await page.fill("#reply-text", "您好，可以先准备劳动合同和工资流水。")
            quick = page.locator(".c-quick button[data-quick]")
            if await quick.count():  # knowledge-base quick replies, when the consult domain offers them
                await quick.first.click()
            await page.click("#reply-form button[type=submit]")
            await page.wait_for_url(f"**/console/cases/{case.id}?notice=reply")
            assert "您好，可以先准备劳动合同和工资流水。" in await page.inner_text("#conversation")
            await page.screenshot(path=str(ARTIFACTS / "case-open.png"), full_page=True)

            await page.fill("#result-form textarea[name=text]", "已指导当事人向劳动仲裁委申请仲裁。")
            await page.click("#result-form button[type=submit]")
            await page.wait_for_url(f"**/console/cases/{case.id}?notice=result")
            assert "已反馈" in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)
            await page.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
            await page.screenshot(path=str(ARTIFACTS / "case-tablet.png"), full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 900})

            await page.goto(f"{base}/console/dashboard")
            await page.wait_for_selector(".c-chart svg")
            assert await page.locator(".c-chart svg").count() >= 3
            await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            await browser.close()

    from app.cases.models import Case

    row = await Case.get(id=case.id)
    assert row.status == "result_given" and row.owner_name == "云溪街道小王"
    assert not errors, errors
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
