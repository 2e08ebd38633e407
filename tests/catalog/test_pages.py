"""The public pages and the JSON API: search by speciality, township and name; cases; bad input."""

from __future__ import annotations

from typing import Any

HTML = {"accept": "text/html"}


async def test_directory_search_by_speciality_and_township(catalog: Any, client: Any) -> None:
    res = await client.get("/api/catalog/providers", params={"township": "SQZ", "speciality": "婚姻家庭"})
    names = {p["name"] for p in res.json()["providers"]}
    assert {"陈丽华", "吴秀英", "衡信律师事务所", "石桥法律服务所"} <= names
    assert "王丽华" not in names  # 婚姻家庭, but serves 云溪街道 only
    assert all("SQZ" in p["townships"] and "婚姻家庭" in p["specialities"] for p in res.json()["providers"])
    page = await client.get("/catalog/providers", params={"township": "TYZ", "speciality": "房产土地"}, headers=HTML)
    assert page.status_code == 200 and "赵晓梅" in page.text and "李国平" not in page.text
    assert "演示数据" in page.text
    by_name = await client.get("/api/catalog/providers", params={"q": "公证"})
    assert {p["code"] for p in by_name.json()["providers"]} >= {"NO-YX"}
    kind = await client.get("/api/catalog/providers", params={"kind": "mediator", "township": "TYZ"})
    assert {p["name"] for p in kind.json()["providers"]} == {"沈德明", "冯立平"}


async def test_provider_page_shows_unit_members_and_advisor_link(catalog: Any, client: Any) -> None:
    page = await client.get("/catalog/providers/LF-HX", headers=HTML)
    assert page.status_code == 200 and "王丽华" in page.text and "本机构人员" in page.text
    from app.catalog import service

    assert await service.advisor_links(["ADV002", "NOPE"]) == {"ADV002": "/catalog/providers/LY-ADV002"}


async def test_service_pages_and_search(catalog: Any, client: Any) -> None:
    page = await client.get("/catalog", params={"q": "遗嘱"}, headers=HTML)
    assert page.status_code == 200 and "遗嘱公证" in page.text and "人民调解</b>" not in page.text
    detail = await client.get("/catalog/services/legal_aid_civil", headers=HTML)
    assert "7 日内决定" in detail.text and "《法律援助法》第四十三条" in detail.text
    assert "需要带的材料" in detail.text and "经费来源" in detail.text
    api = await client.get("/api/catalog/services/notarization")
    body = api.json()
    assert body["time_limit_zh"] == "15个工作日" and {"law": "公证法", "article": "第三十条"} in body["basis"]
    group = await client.get("/api/catalog/services", params={"group": "法律援助"})
    assert {s["code"] for s in group.json()["services"]} == {"legal_aid_civil", "legal_aid_criminal", "duty_lawyer",
                                                            "legal_aid_objection"}


async def test_case_library_search_and_page(catalog: Any, client: Any) -> None:
    res = await client.get("/api/catalog/cases", params={"q": "欠薪"})
    slugs = [c["slug"] for c in res.json()["cases"]]
    assert slugs and slugs[0] == "construction-wages-general-contractor"
    page = await client.get("/catalog/cases/construction-wages-general-contractor", headers=HTML)
    assert page.status_code == 200
    for heading in ("基本案情", "争议焦点", "处理结果", "法律依据", "典型意义", "人物均为化名"):
        assert heading in page.text
    cat = await client.get("/catalog/cases", params={"category": "inheritance"}, headers=HTML)
    assert "打印遗嘱缺少见证人" in cat.text and "包工头失联" not in cat.text


async def test_unknown_and_bad_input_answer_in_chinese_never_500(catalog: Any, client: Any) -> None:
    for path in ("/catalog/services/nope", "/catalog/providers/nope", "/catalog/cases/nope"):
        res = await client.get(path, headers=HTML)
        assert res.status_code == 404 and "没有" in res.text, path
    api = await client.get("/api/catalog/cases/nope")
    assert api.status_code == 404 and "没有找到这个案例" in api.json()["message"] if "message" in api.json() else True
    long = await client.get("/catalog/providers", params={"q": "x" * 500}, headers=HTML)
    assert long.status_code in (400, 422) and long.status_code < 500
    odd = await client.get("/catalog/providers", params={"township": "<b>", "speciality": "算命"}, headers=HTML)
    assert odd.status_code == 200 and "没有找到" in odd.text and "<b>" not in odd.text.split("没有找到")[0][-200:]


async def test_searches_are_rate_limited_per_client(catalog: Any, app: Any, settings: Any) -> None:
    import httpx

    from app.config import set_settings
    from app.core import ratelimit

    set_settings(settings.model_copy(update={"rate_limits": {**settings.rate_limits, "search": "3/minute"}}))
    ratelimit.reset()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.9.9.9", 1)),
                                 base_url="http://testserver") as c:
        codes = [(await c.get("/api/catalog/cases", params={"q": "欠薪"})).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        page = await c.get("/catalog/providers", headers=HTML)
        assert page.status_code == 429 and "retry-after" in page.headers
