"""Editing the catalogue and the directory in the console: validation in Chinese, CSRF, the audit log,
versions, unpublishing; township staff only their own township's providers."""

from __future__ import annotations

import html
from typing import Any

from app.catalog.models import CatalogService, CatalogServiceVersion, Provider
from app.core.actor import Role
from app.staff import service as staff_service
from tests.catalog.test_pages import HTML
from tests.console.conftest import login, session_csrf
from tests.factories import make_staff

NEW_SERVICE = {
    "code": "elderly_will_help", "name": "老年人遗嘱咨询", "group": "公证", "summary": "为老年人免费解答订立遗嘱的法律问题。",
    "who": "本区60周岁以上居民。", "where": "区公共法律服务中心窗口\n12348 热线", "commitment": "当场解答。",
    "time_limit": "3wd", "result": "口头解答", "cost": "免费", "funding": "区财政公共法律服务经费",
    "materials": "身份证件", "basis": "民法典 第一千一百三十四条", "policy": "", "providers": "notary_office lawyer",
    "refs": "", "keywords": "遗嘱 老人",
}
NEW_PROVIDER = {
    "code": "MD-TY-NEW", "kind": "mediator", "name": "钱立新", "parent_code": "MC-TYZ", "townships": "TYZ",
    "specialities": "人民调解；侵权与邻里", "duty_hours": "每周二上午", "dialects": "云溪话", "phone": "13900000199",
    "address": "桃源镇政府一楼", "licence_no": "", "advisor_code": "", "intro": "退休教师，调解邻里纠纷。",
}


async def _admin(client: Any) -> str:
    await make_staff(username="cat-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "cat-admin")
    return await session_csrf(client)


async def test_create_refuse_bad_input_edit_unpublish_a_service(catalog: Any, client: Any) -> None:
    csrf = await _admin(client)
    bad = await client.post("/console/catalog/services/new", headers=HTML, data={
        **NEW_SERVICE, "summary": "", "time_limit": "3天", "basis": "民法典一千一百三十四", "csrf_token": csrf})
    assert bad.status_code == 200
    assert "缺少 服务内容（summary）" in bad.text
    bad = await client.post("/console/catalog/services/new", headers=HTML, data={
        **NEW_SERVICE, "time_limit": "3天", "basis": "民法典一千一百三十四", "providers": "fortune_teller",
        "csrf_token": csrf})
    assert bad.status_code == 200 and "time_limit（办理时限）应为" in bad.text and "法律依据第1行格式不对" in bad.text
    assert "'fortune_teller' 不是已知的服务主体类型" in html.unescape(bad.text) and "老年人遗嘱咨询" in bad.text  # answers kept
    taken = await client.post("/console/catalog/services/new", headers=HTML,
                              data={**NEW_SERVICE, "refs": "legal_aid", "csrf_token": csrf})
    assert taken.status_code == 200 and "关联编码 legal_aid 已被“法律援助（民事、行政案件）”使用" in taken.text
    assert not await CatalogService.exists(code="elderly_will_help")
    no_csrf = await client.post("/console/catalog/services/new", headers=HTML, data=NEW_SERVICE)
    assert no_csrf.status_code == 403 and not await CatalogService.exists(code="elderly_will_help")

    res = await client.post("/console/catalog/services/new", headers=HTML, data={**NEW_SERVICE, "csrf_token": csrf})
    assert res.status_code == 303 and res.headers["location"].startswith("/console/catalog/services/elderly_will_help")
    public = await client.get("/catalog/services/elderly_will_help", headers=HTML)
    assert public.status_code == 200 and "3个工作日" in public.text and "《民法典》第一千一百三十四条" in public.text

    edit = await client.post("/console/catalog/services/elderly_will_help", headers=HTML, data={
        **NEW_SERVICE, "code": "renamed", "name": "老年人遗嘱咨询与见证指引", "reason": "增加见证指引", "csrf_token": csrf})
    assert edit.status_code == 303
    row = await CatalogService.get(code="elderly_will_help")  # the code never changes
    assert row.name == "老年人遗嘱咨询与见证指引" and row.version == 2 and not await CatalogService.exists(code="renamed")
    same = await client.post("/console/catalog/services/elderly_will_help", headers=HTML, data={
        **NEW_SERVICE, "name": "老年人遗嘱咨询与见证指引", "csrf_token": csrf})
    assert same.status_code == 303 and (await CatalogService.get(code="elderly_will_help")).version == 2  # no change
    page = await client.get("/console/catalog/services/elderly_will_help", headers=HTML)
    assert "版本记录" in page.text and "增加见证指引" in page.text and "第 1 版" in page.text

    refused = await client.post("/console/catalog/services/elderly_will_help/unpublish", headers=HTML,
                                data={"csrf_token": csrf})
    assert "error=" in refused.headers["location"]
    await client.post("/console/catalog/services/elderly_will_help/unpublish", headers=HTML,
                      data={"csrf_token": csrf, "reason": "并入遗嘱公证"})
    assert (await client.get("/catalog/services/elderly_will_help", headers=HTML)).status_code == 404
    assert "老年人遗嘱咨询" not in (await client.get("/catalog", headers=HTML)).text
    versions = await CatalogServiceVersion.filter(service_code="elderly_will_help").order_by("version")
    assert [(v.version, v.active) for v in versions] == [(1, True), (2, True), (3, False)]
    assert versions[0].name == "老年人遗嘱咨询"  # the first version kept as it was

    actions = [a.action for a in await staff_service.recent_audit(action_prefix="catalog.service_")]
    assert sorted(actions) == ["catalog.service_changed", "catalog.service_created", "catalog.service_unpublished"]


async def test_only_district_administrators_edit_services(catalog: Any, client: Any) -> None:
    await make_staff(username="ty-clerk", role=Role.TOWNSHIP_STAFF, unit_codes=["TYZ"])
    await login(client, "ty-clerk")
    csrf = await session_csrf(client)
    assert (await client.get("/console/catalog/services", headers=HTML)).status_code == 403
    res = await client.post("/console/catalog/services/notarization", headers=HTML,
                            data={**NEW_SERVICE, "code": "notarization", "csrf_token": csrf})
    assert res.status_code == 403 and (await CatalogService.get(code="notarization")).name == "公证"


async def test_township_staff_edit_their_own_townships_providers(catalog: Any, client: Any) -> None:
    await make_staff(username="ty-clerk", role=Role.TOWNSHIP_STAFF, unit_codes=["TYZ"])
    await login(client, "ty-clerk")
    csrf = await session_csrf(client)
    listing = await client.get("/console/catalog/providers", headers=HTML)
    assert "桃源镇人民调解委员会" in listing.text and "石桥法律服务所" not in listing.text
    assert "云溪区法律援助中心" not in listing.text  # serves three townships: the district's to edit
    assert (await client.get("/console/catalog/providers/GS-SQ", headers=HTML)).status_code == 404
    other = await client.post("/console/catalog/providers/GS-SQ", headers=HTML,
                              data={**NEW_PROVIDER, "code": "GS-SQ", "csrf_token": csrf})
    assert other.status_code == 404 and (await Provider.get(code="GS-SQ")).name == "石桥法律服务所"

    outside = await client.post("/console/catalog/providers/new", headers=HTML,
                                data={**NEW_PROVIDER, "townships": "TYZ；SQZ", "csrf_token": csrf})
    assert outside.status_code == 403 and "只能编辑服务本镇街的机构和人员" in outside.text
    bad = await client.post("/console/catalog/providers/new", headers=HTML, data={
        **NEW_PROVIDER, "parent_code": "", "specialities": "算命", "phone": "1390000", "csrf_token": csrf})
    assert bad.status_code == 200 and "服务领域 '算命' 不在词表中" in html.unescape(bad.text)
    assert "phone 不是有效的电话号码" in bad.text and "须填写所属机构" in bad.text
    no_parent = await client.post("/console/catalog/providers/new", headers=HTML,
                                  data={**NEW_PROVIDER, "parent_code": "NOPE", "csrf_token": csrf})
    assert no_parent.status_code == 200 and "所属机构 parent_code NOPE 不在服务机构名录中" in no_parent.text
    assert not await Provider.exists(code="MD-TY-NEW")

    res = await client.post("/console/catalog/providers/new", headers=HTML, data={**NEW_PROVIDER, "csrf_token": csrf})
    assert res.status_code == 303
    found = await client.get("/api/catalog/providers", params={"township": "TYZ", "kind": "mediator"})
    assert "钱立新" in {p["name"] for p in found.json()["providers"]}
    edit = await client.post("/console/catalog/providers/MD-TY-NEW", headers=HTML,
                             data={**NEW_PROVIDER, "duty_hours": "每周二、四上午", "csrf_token": csrf})
    assert edit.status_code == 303 and (await Provider.get(code="MD-TY-NEW")).duty_hours == "每周二、四上午"
    await client.post("/console/catalog/providers/MD-TY-NEW/unpublish", headers=HTML,
                      data={"csrf_token": csrf, "reason": "调离"})
    assert (await client.get("/catalog/providers/MD-TY-NEW", headers=HTML)).status_code == 404
    audit = await staff_service.recent_audit(action_prefix="catalog.provider_")
    assert sorted(a.action for a in audit) == ["catalog.provider_changed", "catalog.provider_created",
                                               "catalog.provider_unpublished"]
    changed = next(a for a in audit if a.action == "catalog.provider_changed")
    assert changed.target_id == "MD-TY-NEW" and changed.actor_name


async def test_lawyers_do_not_edit_the_directory(catalog: Any, client: Any) -> None:
    await make_staff(username="a-lawyer", role=Role.LAWYER, unit_codes=["JXSQ"])
    await login(client, "a-lawyer")
    assert (await client.get("/console/catalog/providers", headers=HTML)).status_code == 403
