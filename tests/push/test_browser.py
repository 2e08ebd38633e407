"""The console's write → review → send path in headless Chromium: a township clerk writes with the
WeChat preview and submits, the township lead and a district reviewer approve (one returns it first),
the clerk sees the quota and sends; screenshots in test-artifacts/. Skipped without Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve, skip_reason
from tests.factories import PASSWORD
from tests.push.conftest import follow, make_team, received

pytestmark = [pytest.mark.browser]

BODY = """## 工资被拖欠怎么办

可以向劳动保障监察部门投诉，也可以申请劳动仲裁，仲裁不收费（《劳动争议调解仲裁法》第五十三条）。

![](images/cover-labor.png)

拿不准的，请拨打 12348。"""


async def test_write_review_send_in_chromium(app: Any, push_ready: None, emulator: Any, drain_jobs: Any) -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.async_api import Page, async_playwright

    await make_team(with_passwords=True)
    for i in range(3):
        await follow(emulator, "yx_jiedao", unionid=f"b{i}", township="YXJD")
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []

    async with serve(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        async def person(username: str) -> Page:
            ctx = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page = await ctx.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"{base}/console/push")
            await page.fill("input[name=username]", username)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_load_state()
            await page.goto(f"{base}/console/push")
            return page

        try:
            clerk = await person("yxjd_clerk")
            assert "群发剩余 1 次" in await clerk.inner_text("#quotas")
            await clerk.click("text=写新文章")
            await clerk.fill("#title", "欠薪不用慌")
            await clerk.fill("#summary", "投诉、仲裁都能走，仲裁不收费。")
            await clerk.select_option("#cover", "images/cover-labor.png")
            await clerk.check("input[name=categories][value=labor]")
            await clerk.fill("#laws", "劳动争议调解仲裁法 第五十三条")
            await clerk.fill("#body", BODY + "\n\n<script>alert(1)</script>")
            await clerk.click("button[value=preview]")
            await clerk.wait_for_selector("#preview")
            assert "工资被拖欠怎么办" in await clerk.inner_text("#preview h2")
            assert await clerk.locator("#preview img").count() == 1
            assert "脚本" in await clerk.inner_text(".problems")
            await clerk.screenshot(path=str(ARTIFACTS / "push-editor.png"), full_page=True)
            await clerk.fill("#body", BODY)
            await clerk.click("button[value=save]")
            await clerk.wait_for_selector("#status")
            article_url = clerk.url.split("?")[0]
            await clerk.click("#submit")
            await clerk.wait_for_load_state()
            assert "待镇街审核" in await clerk.inner_text("#status")

            lead = await person("yxjd_lead")
            await lead.goto(article_url)
            await lead.click("#approve")
            await lead.wait_for_load_state()
            assert "待区级审批" in await lead.inner_text("#status")

            district = await person("district")
            await district.goto(article_url)
            await district.fill("#return-form input[name=comment]", "请在文末写明仲裁时效一年")
            await district.click("#return")
            await district.wait_for_load_state()

            await clerk.goto(article_url)
            assert "请在文末写明仲裁时效一年" in await clerk.inner_text("#returned")
            await clerk.goto(article_url + "/edit")
            await clerk.fill("#body", BODY + "\n\n申请仲裁的时效期间为一年（《劳动争议调解仲裁法》第二十七条）。")
            await clerk.fill("#laws", "劳动争议调解仲裁法 第五十三条\n劳动争议调解仲裁法 第二十七条")
            await clerk.click("button[value=save]")
            await clerk.wait_for_selector("#submit")
            await clerk.click("#submit")
            await clerk.wait_for_load_state()
            await lead.goto(article_url)
            await lead.click("#approve")
            await lead.wait_for_load_state()
            await district.goto(article_url)
            await district.click("#approve")
            await district.wait_for_load_state()
            assert "已审批待发送" in await district.inner_text("#status")

            await clerk.goto(article_url)
            await clerk.check("input[name=accounts][value=yx_jiedao]")
            await clerk.click("#plan")
            await clerk.wait_for_selector("#plan-table")
            assert "全部关注者" in await clerk.inner_text("#plan-table")
            await clerk.screenshot(path=str(ARTIFACTS / "push-send-plan.png"), full_page=True)
            await clerk.click("#confirm")
            await clerk.wait_for_load_state()
            assert "已排期" in await clerk.inner_text("#status")
            await drain_jobs()
            await clerk.goto(article_url)
            assert "已发送" in await clerk.inner_text("#status")
            assert "群发剩余 0 次" in await clerk.inner_text("#send-form") if await clerk.locator(
                "#send-form").count() else True
            await clerk.screenshot(path=str(ARTIFACTS / "push-sent.png"), full_page=True)
        finally:
            await browser.close()
    assert received(emulator) == {f"b{i}": 1 for i in range(3)}
    assert errors == []
