"""Issue 26, go-live: the demo's three administrators (三员分立) each doing only their own work through
the console, and the audit of every page view of residents' personal data (queried and exported by
the audit administrator, sealed in the HMAC-SM3 chain)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tortoise import connections

from app.config import set_settings
from app.core import crypto
from app.core.actor import Role
from app.staff import service as staff_service
from app.staff.models import AuditLog, StaffUser
from tests.conftest import make_settings
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_case, make_resident, make_staff

NEW_PASSWORD = "Golive-Strong-2026!"


async def _first_login(browser: httpx.AsyncClient, username: str) -> None:
    """A demo account's first login through the console: the published password, a new password,
    then the TOTP enrolment every administrator must make (default ``mfa_required_roles``)."""
    r = await login(browser, username, staff_service.DEMO_PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/console/password", (username, r.headers)
    page = await browser.get("/console/password", headers=HTML)
    r = await browser.post("/console/password", headers=HTML, data={
        "csrf_token": csrf_of(page.text), "old_password": staff_service.DEMO_PASSWORD,
        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code in (200, 303), r.text[:400]
    r = await browser.get("/console/audit", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/console/mfa"  # no page before the second factor
    page = await browser.get("/console/mfa", headers=HTML)
    page = await browser.post("/console/mfa/start", headers=HTML, data={"csrf_token": csrf_of(page.text)})
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    done = await browser.post("/console/mfa/confirm", headers=HTML, data={
        "csrf_token": csrf_of(page.text), "code": staff_service.mfa_current_code(secret)})
    assert done.status_code == 200 and "绑定成功" in done.text


async def test_the_demo_seeds_the_three_administrators_and_each_does_only_their_work(
        demo_org: Any, app: Any, new_client: Any) -> None:
    set_settings(make_settings(mfa_required_roles=["district_admin", "system_admin", "security_admin", "audit_admin"]))
    created = await staff_service.load_demo_staff()  # what `make run` does on an empty database
    assert {"sysadmin", "secadmin", "auditor"} <= set(created)
    roles = {u.username: u.role for u in await StaffUser.filter(username__in=["sysadmin", "secadmin", "auditor"])}
    assert roles == {"sysadmin": Role.SYSTEM_ADMIN, "secadmin": Role.SECURITY_ADMIN, "auditor": Role.AUDIT_ADMIN}
    login_page = await new_client().get("/console/login", headers=HTML)
    assert "auditor（审计管理员）" in login_page.text  # the demo's login page names them

    clerk = await StaffUser.get(username="yxjd")
    r = await make_resident()
    case = await make_case(resident_id=r.id)
    b = {name: new_client() for name in ("sysadmin", "secadmin", "auditor")}
    for name, browser in b.items():
        await _first_login(browser, name)
    tokens = {n: csrf_of((await br.get("/console/mfa", headers=HTML)).text) for n, br in b.items()}

    async def post(name: str, path: str, **data: str) -> int:
        return (await b[name].post(path, headers=HTML, data={"csrf_token": tokens[name], **data})).status_code

    async def get(name: str, path: str) -> int:
        return (await b[name].get(path, headers=HTML)).status_code

    # nobody of the three reads a resident or a case
    for name in b:
        assert await get(name, f"/console/residents/{r.id}") in (403, 404), name
        assert await get(name, f"/console/cases/{case.id}") in (403, 404), name
        assert await get(name, "/console/export") in (403, 404), name
    # 系统管理员: accounts only
    assert await get("sysadmin", "/console/staff") == 200
    assert await post("sysadmin", f"/console/staff/{clerk.id}/unlock") == 303
    assert await post("sysadmin", f"/console/staff/{clerk.id}/role", role="district_admin") == 403
    assert await post("sysadmin", f"/console/staff/{clerk.id}/mfa-reset") == 403
    assert await get("sysadmin", "/console/audit") == 403
    # 安全管理员: roles and second factors only
    lawyer = await StaffUser.get(username="lawyer")
    assert await post("secadmin", f"/console/staff/{lawyer.id}/role", role="mediator") == 303
    assert await post("secadmin", f"/console/staff/{lawyer.id}/active", active="0") == 403
    assert await post("secadmin", f"/console/staff/{lawyer.id}/unlock") == 403
    assert await get("secadmin", "/console/audit") == 403
    assert await get("secadmin", "/console/audit/export") == 403
    # 审计管理员: reads, verifies and exports the log; changes nothing, sees no staff list
    assert await get("auditor", "/console/audit?verify=1") == 200
    assert await get("auditor", "/console/audit/export") == 200
    for path, data in ((f"/console/staff/{lawyer.id}/active", {"active": "0"}),
                       (f"/console/staff/{lawyer.id}/role", {"role": "lawyer"}),
                       (f"/console/staff/{lawyer.id}/unlock", {}), (f"/console/staff/{lawyer.id}/mfa-reset", {})):
        assert await post("auditor", path, **data) == 403, path
    row = await StaffUser.get(id=lawyer.id)
    assert row.role == Role.MEDIATOR and row.active  # only the security administrator's change took
    denied = await AuditLog.filter(action="console.denied", outcome="denied").values_list("actor_name", flat=True)
    assert {"系统管理员", "安全管理员", "审计管理员"} <= set(denied)  # every refusal is on the record


async def test_every_view_of_a_residents_data_is_audited_queryable_and_exported(
        client: httpx.AsyncClient, new_client: Any) -> None:
    await make_staff(username="auditor", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    await make_staff(username="clerk")
    await make_staff(username="far", unit_codes=["TYZ"])  # another township
    r = await make_resident()
    other = await make_resident(phone="13900001111", name="李四")
    case = await make_case(resident_id=r.id)
    assert (await login(client, "clerk")).status_code == 303
    assert (await client.get(f"/console/residents/{r.id}", headers=HTML)).status_code == 200
    assert (await client.get(f"/console/cases/{case.id}", headers=HTML)).status_code == 200
    assert (await client.get(f"/console/residents/{other.id}", headers=HTML)).status_code == 200
    far = new_client()
    await login(far, "far")
    assert (await far.get(f"/console/residents/{r.id}", headers=HTML)).status_code == 404  # out of scope
    assert (await far.get(f"/console/cases/{case.id}", headers=HTML)).status_code == 404

    views = await AuditLog.filter(action="resident.viewed", target_id=str(r.id)).order_by("seq")
    assert [(v.actor_name, v.detail.get("page"), v.ip) for v in views] == [("测试员", "resident", "127.0.0.1"),
                                                                          ("测试员", "case", "127.0.0.1")]
    assert views[1].detail["case_number"] == case.number and views[0].hash and views[0].seq
    assert not await AuditLog.filter(action="resident.viewed", actor_name="测试员", target_id=str(r.id),
                                     actor_id__not=views[0].actor_id).exists()

    # the audit administrator asks: who looked at this resident?
    auditor = new_client()
    await login(auditor, "auditor")
    page = await auditor.get(f"/console/audit?resident={r.id}", headers=HTML)
    assert page.status_code == 200 and page.text.count("查看居民个人信息页面") == 2 and case.number in page.text
    assert "李四" not in page.text and f"resident {other.id}<" not in page.text
    page = await auditor.get("/console/audit?kind=resident&who=clerk", headers=HTML)
    assert page.text.count("查看居民个人信息页面") == 3
    assert (await auditor.get("/console/audit?resident=abc", headers=HTML)).status_code in (400, 422)
    assert (await auditor.get("/console/audit?since=2026-13-45", headers=HTML)).status_code == 400  # never a 500
    export = await auditor.get(f"/console/audit/export?resident={r.id}", headers=HTML)
    lines = [json.loads(x) for x in export.text.splitlines()]
    # everything about this resident: recorded at the desk, then the two views
    assert [x["action"] for x in lines[:-1]] == ["resident.record", "resident.viewed", "resident.viewed"]
    assert all(x["target_id"] == str(r.id) and x["hash"] for x in lines[:-1])
    body = "".join(x + "\n" for x in export.text.splitlines()[:-1]).encode()
    assert lines[-1] == {"sm3": crypto.sm3_hex(body), "lines": 3}
    exported = await AuditLog.filter(action="audit.exported").order_by("-seq").first()
    assert exported is not None and exported.detail["target_id"] == str(r.id)  # what was exported is on record
    # the clerk cannot read who looked (only the audit administrator can)
    assert (await client.get(f"/console/audit?resident={r.id}", headers=HTML)).status_code == 403

    # a view removed from the record breaks the chain
    assert (await staff_service.verify_audit(actor=await _auditor())).ok
    await connections.get("default").execute_query(
        f"DELETE FROM staff_audit_log WHERE seq = {views[0].seq}")
    verdict = await staff_service.verify_audit(actor=await _auditor())
    assert not verdict.ok and any("记录缺失" in p for p in verdict.problems)


async def _auditor() -> Any:
    return await staff_service.actor_for(await StaffUser.get(username="auditor"))


async def test_lists_that_show_residents_are_audited_per_resident(client: httpx.AsyncClient, new_client: Any) -> None:
    """The inbox, a service point's day list, its printout and its ICS feed show names and summaries of many
    residents at once: each resident shown gets a sealed ``resident.listed`` entry (``booking.listed`` for a
    booking made without a WeChat identity), so "who looked at this resident" finds list pages too."""
    from app.core import clock
    from tests.booking.conftest import NOW, SLOT_AT

    clock.freeze(NOW)  # Monday 2026-12-07 08:00 Beijing time: Tuesday's 09:00 is bookable
    try:
        await _lists_audited(client, new_client, SLOT_AT)
    finally:
        clock.freeze(None)


async def _lists_audited(client: httpx.AsyncClient, new_client: Any, slot_at: Any) -> None:
    from app.booking import service as booking_service
    from tests.factories import make_booking_plan

    await make_staff(username="auditor2", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    await make_staff(username="clerk2", unit_codes=["YX"])  # the district centre's desk: every unit
    r = await make_resident()
    await make_case(resident_id=r.id)
    assert (await login(client, "clerk2")).status_code == 303
    assert (await client.get("/console/inbox?tab=all", headers=HTML)).status_code == 200
    listed = await AuditLog.filter(action="resident.listed", target_id=str(r.id)).order_by("seq")
    assert [(x.detail["page"], x.actor_name, x.ip) for x in listed] == [("inbox", "测试员", "127.0.0.1")]

    # a booking at the clerk's point, without WeChat: the day list, the printout and the feed name it
    await make_booking_plan(point="SP-YX", service="consult")
    conf = await booking_service.book(point_code="SP-YX", service_code="consult", starts_at=slot_at,
                                      name="孙阿姨", phone="13811112222", channel="page")
    booking = await booking_service.find(code=conf.code, phone="13811112222")
    page = await client.get("/console/booking?point=SP-YX&day=2026-12-08", headers=HTML)
    assert page.status_code == 200 and "孙阿姨" in page.text
    assert (await client.get("/console/booking/print?point=SP-YX&day=2026-12-08", headers=HTML)).status_code == 200
    shown = await AuditLog.filter(action="booking.listed", target_id=str(booking.id)).order_by("seq")
    assert [x.detail["page"] for x in shown] == ["booking_day", "booking_print"]
    ics = await client.get("/console/booking/ics?point=SP-YX", headers=HTML)
    assert ics.status_code == 200 and "孙阿姨" in ics.text
    export = await AuditLog.filter(action="booking.ics_exported").order_by("-seq").first()
    assert export is not None and booking.id in export.detail["bookings"]

    auditor = new_client()
    await login(auditor, "auditor2")
    page = await auditor.get(f"/console/audit?resident={r.id}", headers=HTML)
    assert page.status_code == 200 and "列表中显示居民信息" in page.text
    verdict = await staff_service.verify_audit(actor=await staff_service.actor_for(await StaffUser.get(username="auditor2")))
    assert verdict.ok, verdict.problems  # the batched entries keep the chain whole


async def test_a_labelled_case_protects_the_residents_bookings_survey_words_and_warning_evidence(
        client: httpx.AsyncClient, new_client: Any) -> None:
    """安全标记 beyond the case: a resident whose case is labelled 机密 shows as 受保护居民 in a day list and the
    ICS feed to staff cleared only for 敏感, by name to staff cleared for 机密; their case is no early-warning
    evidence."""
    from datetime import timedelta

    from app.booking import service as booking_service
    from app.cases import service as cases_service
    from app.cases.models import Case
    from app.core import clock
    from app.core.actor import SECRET
    from tests.booking.conftest import NOW, SLOT_AT
    from tests.factories import make_booking_plan

    clock.freeze(NOW)
    try:
        await make_staff(username="desk", unit_codes=["YX"])  # default clearance: 敏感
        lead_user = await make_staff(username="lead", unit_codes=["YX"], name="主任")
        await StaffUser.filter(id=lead_user.id).update(clearance=SECRET)  # the security administrator's grant
        r = await make_resident(name="周女士", phone="13822223333")
        case = await make_case(resident_id=r.id, summary="周女士被丈夫殴打后暂住亲戚家", category="marriage_family")
        await Case.filter(id=case.id).update(security_level=SECRET)
        await make_booking_plan(point="SP-YX", service="consult")
        await booking_service.book(point_code="SP-YX", service_code="consult", starts_at=SLOT_AT, name="周女士",
                                   phone="13822223333", channel="console", resident_id=r.id,
                                   description="想咨询人身安全保护令")
        await login(client, "desk")
        page = await client.get("/console/booking?point=SP-YX&day=2026-12-08", headers=HTML)
        assert page.status_code == 200 and "受保护居民" in page.text
        assert "周女士" not in page.text and "保护令" not in page.text and "13822223333" not in page.text
        ics = await client.get("/console/booking/ics?point=SP-YX", headers=HTML)
        assert "周女士" not in ics.text and "保护令" not in ics.text
        lead = new_client()
        await login(lead, "lead")
        page = await lead.get("/console/booking?point=SP-YX&day=2026-12-08", headers=HTML)
        assert "周女士" in page.text and "保护令" in page.text
        evidence = await cases_service.case_summaries(since=NOW - timedelta(days=1), until=NOW + timedelta(days=1))
        assert case.number not in [e["ref"] for e in evidence]
        await Case.filter(id=case.id).update(security_level=1)
        evidence = await cases_service.case_summaries(since=NOW - timedelta(days=1), until=NOW + timedelta(days=1))
        assert case.number in [e["ref"] for e in evidence]  # an ordinary case still is
    finally:
        clock.freeze(None)
