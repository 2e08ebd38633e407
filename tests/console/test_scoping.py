"""Every /console route, enumerated from the app (so routes added later are covered too), tried:
without login, as a clerk of another township (403/404, never the data), and as the read-only
supervisor (every POST refused)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from app.core.actor import Role
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_case, make_resident, make_staff

# Auth routes: reachable without a session (login) or for any logged-in role (logout, password).
AUTH_ROUTES = {"/console/login", "/console/logout", "/console/password",
               "/console/login/mfa", "/console/mfa", "/console/mfa/start", "/console/mfa/confirm",
               "/console/signing"}  # one's own login and signing key
# A body good enough to reach the service for every console form (the check under test comes first).
FORM = {"text": "测试内容", "reason": "测试理由", "target": "unit:YXJD", "field": "phone", "staff_id": "1",
        "old_password": "x", "new_password": "y", "confirm": "y", "title": "测试", "summary": "测试事项",
        "channel": "walk_in", "category": "labor"}


def _all_routes(app: Any) -> list[Any]:
    try:  # FastAPI >= 0.16x keeps included routers nested; this walks them
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return list(iter_route_contexts(app.routes))


def console_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route under /console, whoever wrote it."""
    out = []
    for route in _all_routes(app):
        path = route.path or ""
        if path == "/console" or path.startswith("/console/"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                out.append((method, path))
    return sorted(set(out))


@pytest.fixture
async def world(app: Any) -> dict[str, Any]:
    """A Shiqiao (SQZ) case, resident, transfer and board; the district has them, YXJD must not see them."""
    from app.cases import service as cases_service
    from app.cases.models import CaseNotice
    from app.staff import service as staff_service

    sqz = await make_staff(username="sqzclerk", unit_codes=["SQZ"])
    resident = await make_resident(township="SQZ", community="SQSQ", phone="13911112222", name="李四")
    case = await make_case(resident_id=resident.id, township_code="SQZ", community_code="SQSQ",
                           summary="石桥镇宅基地边界纠纷")
    actor = await staff_service.actor_for(sqz)
    await cases_service.take(actor=actor, case_id=case.id)
    tr = await cases_service.transfer(actor=actor, case_id=case.id, reason="转社区", to_unit_code="SQSQ")
    from app.push import service as push_service
    from app.push.models import PushSend

    article = await push_service.create_article(actor=actor, data=push_service.ArticleInput(
        title="石桥镇宅基地边界纠纷", author="石桥镇", summary="", cover="", categories=["property_land"],
        laws_text="", body="草稿"))
    send = await PushSend.create(article_id=article.id, account_keys=["yx_shiqiao"], scheduled_for=article.created_at,
                                 run_at=article.created_at)
    canned = await cases_service.add_canned(actor=actor, title="石桥常用", text="石桥镇的常用回复")
    alert = await CaseNotice.get(case_id=case.id, staff_id=sqz.id)
    from app.catalog import service as catalog_service
    from app.consult import service as consult_service

    study = await catalog_service.create_case(actor=actor, data=catalog_service.CaseInput(  # a draft typical case
        title="石桥镇宅基地边界纠纷", category="property_land", tags="", laws="民法典 第二百八十八条", pseudonyms="",
        facts="草稿", dispute="草稿", resolution="草稿", law_text="草稿", lesson="草稿"),
        categories=consult_service.category_labels())
    cat_admin = await staff_service.actor_for(await make_staff(username="catadmin", role=Role.DISTRICT_ADMIN,
                                                               unit_codes=["YX"], password=None))
    await catalog_service.create_service(actor=cat_admin, data=catalog_service.ServiceInput(  # a catalogue entry
        code="sqz_service", name="石桥测试事项", group="测试", summary="测试", who="测试", where="测试",
        commitment="测试", cost="免费", funding="测试", policy="测试"))
    await catalog_service.create_provider(actor=cat_admin, data=catalog_service.ProviderInput(  # Shiqiao's only
        code="SQZ-UNIT", kind="grassroots_service", name="石桥测试所", townships="SQZ"),
        townships={"YXJD", "TYZ", "SQZ"})
    from app.analytics.models import EarlyWarning
    from app.core.clock import utcnow

    warning = await EarlyWarning.create(township_code="SQZ", category="property_land", week_start=utcnow().date(),
                                        observed=9, expected=1.5, baseline=10, p_value=1e-6, rule="测试",
                                        evidence=[{"text": "石桥镇宅基地边界纠纷"}], created_at=utcnow(),
                                        updated_at=utcnow())
    from app.surveys import service as surveys_service

    inv = await surveys_service.invite(surveys_service.ServiceRef(
        service_key="booking:sqz1", service_type="appointment", township_code="SQZ", community_code="SQSQ",
        provider="石桥经办"))
    review, _ = await surveys_service.answer(invitation_id=inv.id, level=5, via="board")  # a Shiqiao bad review
    from datetime import date, timedelta

    from app.booking import service as booking_service
    from tests.factories import make_booking_plan

    plans = await make_booking_plan(point="SP-SQZ", service="notary", weekdays=(0, 1, 2, 3, 4, 5, 6))
    change = await booking_service.add_day_change(scope=actor.scope, point_code="SP-SQZ", kind="closure",
                                                  day=date.today() + timedelta(days=30), reason="石桥镇停诊")
    slot = (await booking_service.free_slots(point_code="SP-SQZ", service_code="notary"))[0]
    booked = await booking_service.book(point_code="SP-SQZ", service_code="notary", starts_at=slot.starts_at,
                                        name="李四", phone="13911112222", channel="console")
    booking = await booking_service.find(code=booked.code, phone="13911112222")
    from app.jobs import service as jobs_service

    dead = await jobs_service.enqueue("jobs.probe", {"run": "scoping", "i": 1}, max_attempts=1)
    assert dead is not None
    return {
        "job_id": dead.id,  # /console/jobs/{job_id}/retry (后台任务: administrators only)
        "response_id": review.id, "study_id": study.id, "record_id": 1,
        "booking_id": booking.id, "plan_id": plans[0].id, "change_id": change.id,
        "article_id": article.id, "send_id": send.id,
        "case_id": case.id, "resident_id": resident.id, "transfer_id": tr.id, "board_code": "SQSQ01",
        "code": "SQSQ01", "unit_code": "SQZ", "township_code": "SQZ", "community_code": "SQSQ",
        "staff_id": sqz.id, "number": case.number, "canned_id": canned.id, "notice_id": alert.id,
        "warning_id": warning.id,
        "service_code": "sqz_service", "provider_code": "SQZ-UNIT",
        "booking_service": "notary",  # /console/booking/services/{booking_service}: district-wide, read by all
    }


def fill(path: str, values: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        if name not in values:
            pytest.fail(f"route {path}: no test value for path parameter {name!r}; add an object of another "
                        "township for it to the `world` fixture in tests/console/test_scoping.py")
        return str(values[name])

    return re.sub(r"\{([^}]+)\}", one, path)


async def test_routes_are_enumerated(app: Any) -> None:
    paths = {p for _, p in console_routes(app)}
    assert {"/console/inbox", "/console/cases/{case_id}", "/console/residents/{resident_id}",
            "/console/dashboard", "/console/export"} <= paths


async def test_every_route_needs_login(app: Any, client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    for method, path in console_routes(app):
        if path in ("/console/login", "/console/login/mfa", "/console"):  # the login's own steps
            continue
        url = fill(path, world)
        r = await client.request(method, url, headers=HTML, data=FORM if method == "POST" else None)
        if method == "GET" and "/api/" not in path:
            assert r.status_code == 303 and r.headers["location"].startswith("/console/login"), (method, path)
        else:
            assert r.status_code in (401, 303, 403), (method, path, r.status_code)
        r = await client.request(method, url, data=FORM if method == "POST" else None)
        assert r.status_code in (401, 403), (method, path, r.status_code)


async def test_other_township_gets_404_or_403(app: Any, client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await make_staff(username="yxjd", unit_codes=["YXJD"])
    await login(client, "yxjd")
    token = csrf_of((await client.get("/console/password", headers=HTML)).text)
    secrets = (world["number"], "石桥镇宅基地边界纠纷", "李四", "139****2222", "13911112222")
    tried = 0
    for method, path in console_routes(app):
        if path in AUTH_ROUTES:
            continue
        url = fill(path, world)
        data = {**FORM, "csrf_token": token} if method == "POST" else None
        r = await client.request(method, url, headers=HTML, data=data)
        tried += 1
        if "{" in path:
            assert r.status_code in (403, 404), (method, path, r.status_code)
        else:  # lists are filtered (200); district-only pages refuse (403)
            assert r.status_code in (200, 303, 403), (method, path, r.status_code)
        for s in secrets:
            assert s not in r.text, (method, path, s)
    assert tried >= 15
    from app.cases.models import Case, CaseMessage

    case = await Case.get(id=world["case_id"])
    assert case.township_code == "SQZ" and case.owner_id == world["staff_id"]  # nothing changed hands
    assert not await CaseMessage.filter(case_id=case.id).exists()


async def test_supervisor_cannot_change_anything(app: Any, client: httpx.AsyncClient,
                                                  world: dict[str, Any]) -> None:
    from app.staff.models import AuditLog

    await make_staff(username="sup", role=Role.SUPERVISOR, unit_codes=["YX"])
    await login(client, "sup")
    page = await client.get(f"/console/cases/{world['case_id']}", headers=HTML)
    assert page.status_code == 200 and world["number"] in page.text  # the district supervisor sees it
    assert 'method="post" action="/console/cases' not in page.text  # and is shown no forms
    token = csrf_of(page.text)
    posts = [p for m, p in console_routes(app) if m == "POST" and p not in AUTH_ROUTES]
    assert posts
    for path in posts:
        r = await client.post(fill(path, world), headers=HTML, data={**FORM, "csrf_token": token})
        assert r.status_code == 403 and "只读" in r.text, (path, r.status_code)
    assert not await AuditLog.filter(action__startswith="resident.reveal").exists()
    for method, path in console_routes(app):
        if method == "GET" and path not in AUTH_ROUTES and path != "/console/login":
            r = await client.get(fill(path, world), headers=HTML)
            # the audit administrator's alone (三权分立); the job engine's dead letters are the system and
            # district administrators' (jobs.manage)
            if path.startswith(("/console/audit", "/console/jobs")):
                assert r.status_code == 403, (path, r.status_code)
                continue
            assert r.status_code in (200, 303), (path, r.status_code)
