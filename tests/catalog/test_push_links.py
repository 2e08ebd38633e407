"""Push articles link the case library and the catalogue: ``[[案例:slug]]`` and ``[[服务:code]]`` resolved
into links at save (an unknown one refuses the save), and a link that stops leading anywhere is a problem."""

from __future__ import annotations

import html
from typing import Any

from app.core.actor import Role
from app.push.models import PushArticle
from tests.catalog.test_pages import HTML
from tests.console.conftest import login, session_csrf
from tests.factories import make_staff

BODY = ("## 工资被拖欠怎么办\n\n先看看这个案例：[[案例:construction-wages-general-contractor]]\n\n"
        "申请法律援助：[[ 服务：legal_aid_civil ]]。拿不准请拨打 12348。")


async def test_articles_link_cases_and_services(catalog: Any, client: Any, new_client: Any, settings: Any) -> None:
    await make_staff(username="push-clerk", role=Role.TOWNSHIP_STAFF, unit_codes=["YXJD"])
    await make_staff(username="cat-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "push-clerk")
    form = {"csrf_token": await session_csrf(client), "title": "欠薪有办法", "author": "街道司法所",
            "summary": "欠薪可以申请法律援助。", "cover": "", "categories": "labor", "laws": "", "action": "save"}
    unknown = await client.post("/console/push/new", headers=HTML, data={
        **form, "body": BODY + "\n\n[[案例:no-such-case]] [[服务:nope]]"})
    assert unknown.status_code == 400
    text = html.unescape(unknown.text)
    assert "引用 [[案例:no-such-case]] 找不到，须为已发布的典型案例" in text and "引用 [[服务:nope]] 找不到" in text
    assert not await PushArticle.exists(title="欠薪有办法")

    saved = await client.post("/console/push/new", headers=HTML, data={**form, "body": BODY})
    assert saved.status_code == 303
    article = await PushArticle.get(title="欠薪有办法")
    base = settings.public_base_url.rstrip("/")
    assert f"]({base}/catalog/cases/construction-wages-general-contractor)" in article.body
    assert f"[办事指南：法律援助（民事、行政案件）]({base}/catalog/services/legal_aid_civil)" in article.body
    assert "[[" not in article.body
    page = await client.get(f"/console/push/{article.id}", headers=HTML)
    assert f'href="{base}/catalog/services/legal_aid_civil"' in page.text  # the preview keeps the link
    assert "已不公开或不存在" not in page.text

    admin = new_client()
    await login(admin, "cat-admin")
    await admin.post("/console/catalog/services/legal_aid_civil/unpublish", headers=HTML,
                     data={"csrf_token": await session_csrf(admin), "reason": "测试停用"})
    page = await client.get(f"/console/push/{article.id}", headers=HTML)
    assert "正文链接的服务事项“legal_aid_civil”已不公开或不存在" in html.unescape(page.text)
