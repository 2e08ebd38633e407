"""The catalogue as the one source of services' names and time limits (办理时限): a case takes its type's
entry (the deadline follows it, a later edit never rewrites it), booking lists the catalogue's names, the
service page links to booking it and to consultation, and the check sees booking's services."""

from __future__ import annotations

from typing import Any

from app.cases.models import Case
from app.catalog import service
from app.core import calendar
from app.core.actor import Role
from tests.catalog.test_pages import HTML
from tests.console.conftest import login, session_csrf
from tests.factories import make_staff


async def _service_form(client: Any, code: str) -> dict[str, str]:
    """The edit form of a service as the console fills it (every field with its current value)."""
    from app.catalog.service import service_input

    data = {k: str(v) for k, v in vars(service_input(await service.get_any_service(code))).items()}
    data["csrf_token"] = await session_csrf(client)
    return data


async def _register(client: Any, *, type: str) -> Case:
    """A clerk records a walk-in at the desk (/console/cases/new): the case opens owned by them."""
    res = await client.post("/console/cases/new", headers=HTML, data={
        "csrf_token": await session_csrf(client), "channel": "walk_in", "type": type, "summary": "办理房屋买卖合同公证",
        "unit": "JXSQ", "name": "", "phone": "", "category": "notarization"})
    assert res.status_code == 200, res.text[:500]
    return await Case.all().order_by("-id").first()  # type: ignore[return-value]


async def test_a_case_takes_its_entrys_time_limit_and_keeps_it(catalog: Any, client: Any, new_client: Any) -> None:
    await make_staff(username="cat-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await make_staff(username="desk-clerk", role=Role.TOWNSHIP_STAFF, unit_codes=["YXJD"])
    admin = new_client()
    await login(admin, "cat-admin")
    form = await _service_form(admin, "notarization")
    res = await admin.post("/console/catalog/services/notarization", headers=HTML,
                           data={**form, "time_limit": "20wd", "reason": "公证处承诺延长（示例）"})
    assert res.status_code == 303 and "notice=" in res.headers["location"]

    await login(client, "desk-clerk")
    first = await _register(client, type="notarization")
    assert (first.service_ref, first.service_name, first.time_limit) == ("notarization@v2", "公证", "20wd")
    assert first.deadline_at == calendar.add_working_days(first.clock_start_at, 20).at  # not the configured 15wd
    page = await client.get(f"/console/cases/{first.id}", headers=HTML)
    assert "服务事项：公证" in page.text and "20个工作日" in page.text

    form = await _service_form(admin, "notarization")
    await admin.post("/console/catalog/services/notarization", headers=HTML,
                     data={**form, "name": "公证（办证）", "time_limit": "5wd", "reason": "改回"})
    second = await _register(client, type="notarization")
    assert (second.service_ref, second.service_name, second.time_limit) == ("notarization@v3", "公证（办证）", "5wd")
    from app.cases import service as cases_service

    await cases_service.recompute_open_deadlines()  # e.g. after a calendar load: the old case keeps its version
    first = await Case.get(id=first.id)
    assert (first.service_ref, first.service_name, first.time_limit) == ("notarization@v2", "公证", "20wd")
    assert first.deadline_at == calendar.add_working_days(first.clock_start_at, 20).at
    old = await service.get_version("notarization@v2")
    assert old is not None and old.time_limit == "20wd" and old.changed_by


async def test_booking_lists_the_catalogues_names(catalog: Any, client: Any) -> None:
    await make_staff(username="cat-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    names = {s["code"]: s["name"] for s in (await client.get("/api/booking/services")).json()["services"]}
    assert names["legal_aid"] == "法律援助（民事、行政案件）"  # booking's own file says 法律援助申请受理
    await login(client, "cat-admin")
    form = await _service_form(client, "people_mediation")
    await client.post("/console/catalog/services/people_mediation", headers=HTML,
                      data={**form, "name": "人民调解（矛盾纠纷化解）"})
    names = {s["code"]: s["name"] for s in (await client.get("/api/booking/services")).json()["services"]}
    assert names["mediation"] == "人民调解（矛盾纠纷化解）"
    page = await client.get("/booking", headers=HTML)
    assert "人民调解（矛盾纠纷化解）" in page.text


async def test_the_service_page_links_booking_and_consultation(catalog: Any, client: Any) -> None:
    page = await client.get("/catalog/services/notary_consultation", headers=HTML)
    assert 'href="/booking?svc=notary"' in page.text and "预约办理：公证咨询" in page.text
    assert "tel:12348" in page.text and "在线咨询" in page.text
    from_board = await client.get("/catalog/services/notary_consultation", params={"board": "JXSQ01"}, headers=HTML)
    assert 'href="/s/JXSQ01/consult"' in from_board.text and "svc=notary&amp;board=JXSQ01" in from_board.text
    not_bookable = await client.get("/catalog/services/duty_lawyer", headers=HTML)
    assert not_bookable.status_code == 200 and "/booking?svc=" not in not_bookable.text


async def test_the_check_sees_bookings_services(catalog: Any, client: Any) -> None:
    assert not [p for p in await service.check() if "预约服务" in p]
    await make_staff(username="cat-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "cat-admin")
    form = await _service_form(client, "notary_consultation")
    await client.post("/console/catalog/services/notary_consultation", headers=HTML,
                      data={**form, "refs": ""})  # booking:notary dropped
    problems = await service.check()
    assert any("预约服务使用的服务“booking:notary”" in p for p in problems)


async def test_survey_figures_name_services_by_the_catalogue(catalog: Any, client: Any) -> None:
    from app.surveys import service as surveys_service

    for i, (kind, code) in enumerate((("appointment", "notary"), ("case", "legal_aid"), ("case", "complaint"))):
        await surveys_service.invite(surveys_service.ServiceRef(
            service_key=f"test:{i}", service_type=kind, service=code, township_code="YXJD", channel="walk_in"))
    await make_staff(username="cat-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "cat-admin")
    page = await client.get("/console/surveys", params={"by": "service"}, headers=HTML)
    assert page.status_code == 200
    assert "公证咨询" in page.text and "法律援助（民事、行政案件）" in page.text  # the catalogue's names
    assert "投诉" in page.text  # not in the catalogue: surveys' own label
