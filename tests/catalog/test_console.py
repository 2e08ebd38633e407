"""The case library in the console: write, submit (refused with personal data), review by another
district administrator, publish; an edit takes a published case off the public pages."""

from __future__ import annotations

from typing import Any

from app.catalog.models import CaseStudy
from app.core.actor import Role
from tests.catalog.test_pages import HTML
from tests.console.conftest import login, session_csrf
from tests.factories import make_staff

FORM = {
    "title": "邻居装修噪音扰民，调解约定施工时间", "category": "tort_neighbour", "tags": "邻里 噪音",
    "pseudonyms": "", "laws": "民法典 第二百八十八条",
    "facts": "锦绣社区居民老韩楼上装修，周末清晨施工，电话13812345678多次沟通无果。",
    "dispute": "装修噪音是否超出合理限度。", "resolution": "社区调委会调解，约定工作日施工。",
    "law_text": "《民法典》第二百八十八条规定了相邻关系的处理原则。", "lesson": "装修前和邻居打个招呼。",
}


async def test_write_refuse_fix_review_publish(catalog: Any, client: Any, new_client: Any) -> None:
    await make_staff(username="case-writer", role=Role.LAWYER, unit_codes=["JXSQ"])
    await make_staff(username="case-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "case-writer")
    csrf = await session_csrf(client)
    bad_law = await client.post("/console/catalog/cases/new", headers=HTML,
                                data={**FORM, "laws": "民法典二百八十八", "csrf_token": csrf})
    assert bad_law.status_code == 200 and "所引法条第1行格式不对" in bad_law.text  # the form again, with the error
    res = await client.post("/console/catalog/cases/new", headers=HTML, data={**FORM, "csrf_token": csrf})
    assert res.status_code == 303
    case_id = int(res.headers["location"].split("/")[-1].split("?")[0])
    page = await client.get(f"/console/catalog/cases/{case_id}", headers=HTML)
    assert "138****5678" in page.text and "发布前须处理的个人信息" in page.text
    refused = await client.post(f"/console/catalog/cases/{case_id}/submit", headers=HTML, data={"csrf_token": csrf})
    assert "error=" in refused.headers["location"]
    assert (await CaseStudy.get(id=case_id)).status == "draft"
    fixed = {**FORM, "facts": FORM["facts"].replace("电话13812345678", "").replace("老韩", "韩建华"), "csrf_token": csrf}
    await client.post(f"/console/catalog/cases/{case_id}", headers=HTML, data=fixed)
    refused = await client.post(f"/console/catalog/cases/{case_id}/submit", headers=HTML, data={"csrf_token": csrf})
    assert "error=" in refused.headers["location"]  # a full name now
    await client.post(f"/console/catalog/cases/{case_id}", headers=HTML,
                      data={**fixed, "pseudonyms": "韩建华"})  # declared a pseudonym
    ok = await client.post(f"/console/catalog/cases/{case_id}/submit", headers=HTML, data={"csrf_token": csrf})
    assert "notice=" in ok.headers["location"], ok.headers["location"]
    own = await client.post(f"/console/catalog/cases/{case_id}/approve", headers=HTML, data={"csrf_token": csrf})
    assert "error=" in own.headers["location"]  # a lawyer cannot publish
    slug = (await CaseStudy.get(id=case_id)).slug
    await make_staff(username="case-other", role=Role.LAWYER, unit_codes=["TYC"])
    other = new_client()
    await login(other, "case-other")
    assert (await other.get(f"/console/catalog/cases/{case_id}", headers=HTML)).status_code == 404  # another's draft
    assert FORM["title"] not in (await other.get("/console/catalog", headers=HTML)).text
    assert (await client.get(f"/catalog/cases/{slug}")).status_code == 404  # not public while pending

    admin = new_client()
    await login(admin, "case-admin")
    admin_csrf = await session_csrf(admin)
    res = await admin.post(f"/console/catalog/cases/{case_id}/approve", headers=HTML, data={"csrf_token": admin_csrf})
    assert "notice=" in res.headers["location"]
    public = await client.get(f"/catalog/cases/{slug}", headers=HTML)
    assert public.status_code == 200 and "邻居装修噪音扰民" in public.text
    found = await client.get("/api/catalog/cases", params={"q": "噪音"})
    assert [c["slug"] for c in found.json()["cases"]] == [slug]

    await client.post(f"/console/catalog/cases/{case_id}", headers=HTML, data={**fixed, "pseudonyms": "韩建华"})
    assert (await client.get(f"/catalog/cases/{slug}")).status_code == 404  # edited: back to draft


async def test_an_admin_cannot_publish_their_own_case(catalog: Any, client: Any) -> None:
    await make_staff(username="solo-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "solo-admin")
    csrf = await session_csrf(client)
    clean = {**FORM, "facts": "居民老韩楼上装修，周末清晨施工。", "csrf_token": csrf}
    res = await client.post("/console/catalog/cases/new", headers=HTML, data=clean)
    case_id = int(res.headers["location"].split("/")[-1].split("?")[0])
    await client.post(f"/console/catalog/cases/{case_id}/submit", headers=HTML, data={"csrf_token": csrf})
    own = await client.post(f"/console/catalog/cases/{case_id}/approve", headers=HTML, data={"csrf_token": csrf})
    assert "error=" in own.headers["location"] and (await CaseStudy.get(id=case_id)).status == "pending"
