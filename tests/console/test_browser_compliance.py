"""The compliance pages in real headless Chromium: an administrator is sent to TOTP enrolment, scans
(reads) the secret, confirms with the app's code and gets recovery codes; the audit administrator
lands on the audit log, verifies the chain and sees no case work. Screenshots in test-artifacts/."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.config import set_settings
from app.core.actor import Role
from app.staff import service as staff_service
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.conftest import make_settings
from tests.factories import PASSWORD, make_staff

pytestmark = [pytest.mark.browser]


async def test_totp_enrolment_and_the_audit_administrators_view(app: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    set_settings(make_settings(mfa_required_roles=["district_admin"]))
    await make_staff(username="admin", name="区管理员", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await make_staff(username="auditor", name="审计员", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []

    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
            await page.goto(f"{base}/console/login")
            await page.fill("input[name=username]", "admin")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/console/mfa")
            assert "须使用双因素认证" in await page.content()
            await page.click("form[action='/console/mfa/start'] button[type=submit]")
            await page.wait_for_selector("#totp-secret")
            assert await page.locator("img[alt=绑定二维码]").evaluate("i => i.naturalWidth > 0")
            await page.screenshot(path=str(ARTIFACTS / "mfa-enrol.png"), full_page=True)
            secret = await page.inner_text("#totp-secret")
            await page.fill("input[name=code]", staff_service.mfa_current_code(secret))
            await page.click("form[action='/console/mfa/confirm'] button[type=submit]")
            await page.wait_for_selector("#recovery-codes")
            assert await page.locator("#recovery-codes li").count() == 10
            await page.click("text=进入工作台")
            await page.wait_for_url(f"{base}/console/inbox")

            auditor = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            auditor.on("pageerror", lambda exc: errors.append(str(exc)))
            await auditor.goto(f"{base}/console/login")
            await auditor.fill("input[name=username]", "auditor")
            await auditor.fill("input[name=password]", PASSWORD)
            await auditor.click("button[type=submit]")
            await auditor.wait_for_url(f"{base}/console/audit")
            nav = await auditor.inner_text("body")
            assert "案件收件箱" not in nav and "审计日志" in nav
            assert "绑定双因素认证" in nav and "登录成功" in nav  # the admin's enrolment is in the log
            await auditor.click("text=校验哈希链")
            await auditor.wait_for_selector("#verdict")
            assert "校验通过" in await auditor.inner_text("#verdict")
            await auditor.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)
        finally:
            await browser.close()
    assert not errors, errors
