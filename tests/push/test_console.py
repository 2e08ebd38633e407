"""The console's pages over HTTP: write with a WeChat preview, review as the township lead and the
district, send with the quotas shown; another township sees none of it; the figures page."""

from __future__ import annotations

import re
from typing import Any

import httpx

from app.core.actor import Role
from app.push.models import PushArticle, PushDelivery
from tests.console.conftest import login, session_csrf
from tests.factories import make_staff
from tests.push.conftest import follow, make_team

HTML = {"accept": "text/html"}
BODY = "## 欠薪怎么办\n\n可以申请支付令（《劳动合同法》第三十条）。拿不准请拨打 12348。\n\n<script>x()</script>"


async def test_write_review_send_in_the_console(push_ready: None, emulator: Any, new_client: Any,
                                                drain_jobs: Any) -> None:
    await make_team(with_passwords=True)
    await make_staff(username="tyz", name="桃源镇办事员", unit_codes=["TYZ"])
    await follow(emulator, "yx_jiedao", unionid="r1", township="YXJD")
    await follow(emulator, "yx_jiedao", unionid="r2", township="YXJD")
    clerk, lead, district, other = (new_client() for _ in range(4))
    for c, name in ((clerk, "yxjd_clerk"), (lead, "yxjd_lead"), (district, "district"), (other, "tyz")):
        await login(c, name)
    csrf = await session_csrf(clerk)
    form = {"csrf_token": csrf, "title": "欠薪有办法", "author": "街道司法所", "summary": "欠薪可以申请支付令。",
            "cover": "images/cover-labor.png", "categories": "labor", "laws": "劳动合同法 第三十条", "body": BODY}
    preview = await clerk.post("/console/push/new", headers=HTML, data={**form, "action": "preview"})
    assert preview.status_code == 200 and 'id="preview"' in preview.text
    assert "<h2>欠薪怎么办</h2>" in preview.text and "<script>x()" not in preview.text
    assert "脚本（&lt;script&gt;）" in preview.text  # told what to fix
    saved = await clerk.post("/console/push/new", headers=HTML, data={**form, "body": BODY.replace(
        "<script>x()</script>", ""), "action": "save"})
    assert saved.status_code == 303
    art_id = int(re.search(r"/console/push/(\d+)", saved.headers["location"]).group(1))  # type: ignore[union-attr]
    # another township sees neither the page nor the article in its list
    assert (await other.get(f"/console/push/{art_id}", headers=HTML)).status_code == 404
    assert "欠薪有办法" not in (await other.get("/console/push", headers=HTML)).text
    r = await clerk.post(f"/console/push/{art_id}/submit", headers=HTML, data={"csrf_token": csrf})
    assert r.status_code == 303 and "notice" in r.headers["location"]
    page = await lead.get(f"/console/push/{art_id}", headers=HTML)
    assert 'id="approve"' in page.text
    r = await lead.post(f"/console/push/{art_id}/approve", headers=HTML,
                        data={"csrf_token": await session_csrf(lead), "comment": "可以"})
    dcsrf = await session_csrf(district)
    r = await district.post(f"/console/push/{art_id}/return", headers=HTML,
                            data={"csrf_token": dcsrf, "comment": "标题再具体一些"})
    page = await clerk.get(f"/console/push/{art_id}", headers=HTML)
    assert "审核退回意见：标题再具体一些" in page.text
    edit = await clerk.post(f"/console/push/{art_id}/edit", headers=HTML,
                            data={**form, "title": "工资被拖欠，可以申请支付令", "body": BODY.replace(
                                "<script>x()</script>", ""), "action": "save"})
    assert edit.status_code == 303
    await clerk.post(f"/console/push/{art_id}/submit", headers=HTML, data={"csrf_token": csrf})
    await lead.post(f"/console/push/{art_id}/approve", headers=HTML, data={"csrf_token": await session_csrf(lead)})
    await district.post(f"/console/push/{art_id}/approve", headers=HTML, data={"csrf_token": dcsrf})
    assert (await PushArticle.get(id=art_id)).status == "approved"
    page = await clerk.get(f"/console/push/{art_id}", headers=HTML)
    assert 'id="send-form"' in page.text and "群发剩余 1 次" in page.text and "云溪司法" not in page.text
    plan = await clerk.post(f"/console/push/{art_id}/send", headers=HTML,
                            data={"csrf_token": csrf, "accounts": "yx_jiedao", "action": "plan"})
    assert plan.status_code == 200 and 'id="plan-table"' in plan.text and 'id="confirm"' in plan.text
    sent = await clerk.post(f"/console/push/{art_id}/send", headers=HTML,
                            data={"csrf_token": csrf, "accounts": "yx_jiedao", "action": "confirm"})
    assert sent.status_code == 303
    await drain_jobs()
    assert (await PushDelivery.get(article_id=art_id)).status == "sent"
    trail = (await clerk.get(f"/console/push/{art_id}", headers=HTML)).text
    assert "已发送" in trail and "标题再具体一些" in trail
    figures = await district.get("/console/push/figures", headers=HTML)
    assert figures.status_code == 200 and "工资被拖欠，可以申请支付令" in figures.text
    # a supervisor reads but cannot act
    await make_staff(username="sup", name="督导", role=Role.SUPERVISOR, unit_codes=["YX"])
    sup = new_client()
    await login(sup, "sup")
    assert (await sup.get(f"/console/push/{art_id}", headers=HTML)).status_code == 200
    r = await sup.post(f"/console/push/{art_id}/withdraw", headers=HTML, data={"csrf_token": await session_csrf(sup)})
    assert r.status_code == 403


async def test_board_button_opens_the_articles(push_ready: None, client: httpx.AsyncClient) -> None:
    r = await client.get("/s/JXSQ01/go/articles", headers=HTML)
    assert r.status_code == 303 and r.headers["location"].startswith("/articles?")
    listing = await client.get(r.headers["location"], headers=HTML)
    assert listing.status_code == 200 and "普法文章" in listing.text
    assert (await client.get("/articles/not-there", headers=HTML)).status_code == 404
    assert (await client.get("/articles/images/cover-labor.png")).status_code == 200
    assert (await client.get("/articles/images/..%2Fwills.md")).status_code == 404
