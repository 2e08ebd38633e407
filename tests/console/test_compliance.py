"""The compliance controls through the console (等保 2.0 level 3, docs/compliance.md): the audit log's
completeness, the three administrators' separation, each role's rights, TOTP enrolment and login,
password policy and expiry, dormant accounts, idle sessions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.config import set_settings
from app.core import clock, crypto
from app.core.actor import SYSTEM, Role
from app.staff import service as staff_service
from app.staff.models import AuditLog, StaffUser
from tests.conftest import make_settings
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import PASSWORD, make_resident, make_staff


async def test_every_security_event_is_recorded_with_who_what_when_where_outcome(
        client: httpx.AsyncClient, new_client: Any, settings: Any) -> None:
    """Each kind the issue names, through the real console: logins, failures, lockouts, role and
    account changes, reveals, exports, erasure, then the assessor's export and the verification."""
    await make_staff(username="sysadmin", role=Role.SYSTEM_ADMIN, unit_codes=["YX"])
    await make_staff(username="secadmin", role=Role.SECURITY_ADMIN, unit_codes=["YX"])
    await make_staff(username="auditor", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    clerk = await make_staff(username="clerk")
    r = await make_resident()
    # the clerk logs in (this browser is then trusted); failures and a lockout from another client
    assert (await login(client, "clerk")).status_code == 303
    outsider = new_client()
    for _ in range(settings.login_max_failures):
        await login(outsider, "clerk", "wrong-password-9")
    # the clerk reveals a phone number, exports cases
    page = await client.get(f"/console/residents/{r.id}", headers=HTML)
    token = csrf_of(page.text)
    await client.post(f"/console/residents/{r.id}/reveal", headers=HTML, data={"csrf_token": token, "field": "phone"})
    exported = await client.get("/console/export", headers=HTML)

    assert exported.headers["x-content-sm3"] == crypto.sm3_hex(exported.content)  # the file's integrity
    # the system administrator unlocks and disables; the security administrator changes a role
    sysadmin = new_client()
    await login(sysadmin, "sysadmin")
    token = csrf_of((await sysadmin.get("/console/staff", headers=HTML)).text)
    await sysadmin.post(f"/console/staff/{clerk.id}/unlock", headers=HTML, data={"csrf_token": token})
    lawyer = await make_staff(username="lawyer2", role=Role.LAWYER, unit_codes=["JXSQ"], password=None)
    await sysadmin.post(f"/console/staff/{lawyer.id}/active", headers=HTML, data={"csrf_token": token, "active": "0"})
    secadmin = new_client()
    await login(secadmin, "secadmin")
    token = csrf_of((await secadmin.get("/console/staff", headers=HTML)).text)
    await secadmin.post(f"/console/staff/{lawyer.id}/role", headers=HTML, data={"csrf_token": token, "role": "mediator"})
    # the clerk is refused an administrator's page; erases a resident (CLI/system path)
    assert (await client.get("/console/audit", headers=HTML)).status_code == 403
    from app.residents import service as residents_service

    await residents_service.erase_resident(actor=SYSTEM, resident_id=r.id, reason="本人申请")
    await client.post("/console/logout", headers=HTML, data={"csrf_token": csrf_of(page.text)})

    expected = {
        "login.failed": "failed", "login.locked": "denied", "login.ok": "ok", "resident.reveal_phone": "ok",
        "cases.export": "ok", "login.unlocked": "ok", "staff.disabled": "ok", "staff.role_changed": "ok",
        "console.denied": "denied", "resident.erase": "ok", "logout": "ok",
    }
    for action, outcome in expected.items():
        e = await AuditLog.filter(action=action).order_by("-seq").first()
        assert e is not None, action
        assert e.outcome == outcome and e.at is not None and e.seq and e.hash, action
        assert e.actor_name or action == "login.failed", action  # an actor (a failed login of a real name has one too)
        assert e.ip == "127.0.0.1" or action == "resident.erase", (action, e.ip)  # the client's address
        assert e.target_type, action
    role = await AuditLog.get(action="staff.role_changed")
    assert role.actor_role == "security_admin" and role.detail == {"from": "lawyer", "to": "mediator"}

    # the audit administrator reads it, verifies it and exports it for the assessor
    auditor = new_client()
    await login(auditor, "auditor")
    page = await auditor.get("/console/audit?verify=1", headers=HTML)
    assert page.status_code == 200 and "校验通过" in page.text and "修改角色" in page.text
    export = await auditor.get("/console/audit/export", headers=HTML)
    assert export.status_code == 200
    lines = [json.loads(x) for x in export.text.splitlines()]
    body = "".join(x + "\n" for x in export.text.splitlines()[:-1]).encode()
    assert lines[-1]["sm3"] == crypto.sm3_hex(body) and lines[-1]["lines"] == len(lines) - 1
    assert {x["action"] for x in lines[:-1]} >= set(expected)
    assert await AuditLog.filter(action="audit.exported").exists()
    # the auditor reads no residents' data and changes nothing
    assert (await auditor.get(f"/console/residents/{r.id}", headers=HTML)).status_code in (403, 404)
    assert (await auditor.post(f"/console/staff/{clerk.id}/unlock", headers=HTML,
                               data={"csrf_token": csrf_of(page.text)})).status_code == 403
    # nobody, the system administrator included, can erase the audit log from the console
    paths = {getattr(rt, "path", "") for rt in client._transport.app.routes}  # type: ignore[attr-defined]
    assert not [p for p in paths if p.startswith("/console/audit") and p not in ("/console/audit", "/console/audit/export")]


def _policy(**overrides: Any) -> None:
    set_settings(make_settings(**overrides))


async def test_totp_enrolment_then_login_with_code_and_recovery_code(client: httpx.AsyncClient, new_client: Any) -> None:
    _policy(mfa_required_roles=["district_admin"])
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    assert (await login(client, "admin")).status_code == 303
    # required for the role: every page sends them to enrolment first, and APIs refuse
    r = await client.get("/console/inbox", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/console/mfa"
    page = await client.get("/console/mfa", headers=HTML)
    assert "须使用双因素认证" in page.text
    page = await client.post("/console/mfa/start", headers=HTML, data={"csrf_token": csrf_of(page.text)})
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    assert 'src="data:image/svg+xml;base64,' in page.text  # the QR the app scans
    row = await StaffUser.get(username="admin")
    assert row.totp_secret_enc and row.totp_secret_enc.startswith("sm4:") and secret not in row.totp_secret_enc
    bad = await client.post("/console/mfa/confirm", headers=HTML, data={"csrf_token": csrf_of(page.text), "code": "000000"})
    assert bad.status_code == 401 and "动态验证码不正确" in bad.text
    done = await client.post("/console/mfa/confirm", headers=HTML,
                             data={"csrf_token": csrf_of(page.text), "code": staff_service.mfa_current_code(secret)})
    assert done.status_code == 200 and "绑定成功" in done.text
    codes = [c.split("<")[0] for c in done.text.split("<li><code>")[1:]]
    assert len(codes) == 10
    assert (await client.get("/console/inbox", headers=HTML)).status_code == 200
    assert await AuditLog.filter(action="mfa.enrolled").exists()

    # a new browser: the password alone gives no session
    other = new_client()
    r = await login(other, "admin")
    assert r.status_code == 303 and r.headers["location"] == "/console/login/mfa"
    assert (await other.get("/console/inbox", headers=HTML)).status_code == 303  # still to the login
    form = await other.get("/console/login/mfa", headers=HTML)
    wrong = await other.post("/console/login/mfa", headers=HTML, data={"csrf_token": csrf_of(form.text), "code": "123456"})
    assert wrong.status_code == 401
    clock.freeze(clock.utcnow() + timedelta(seconds=60))  # the next time step: a fresh code
    ok = await other.post("/console/login/mfa", headers=HTML,
                          data={"csrf_token": csrf_of(form.text), "code": staff_service.mfa_current_code(secret)})
    assert ok.status_code == 303 and (await other.get("/console/inbox", headers=HTML)).status_code == 200
    # the same code cannot be used twice (replay)
    third = new_client()
    await login(third, "admin")
    form = await third.get("/console/login/mfa", headers=HTML)
    replay = await third.post("/console/login/mfa", headers=HTML,
                              data={"csrf_token": csrf_of(form.text), "code": staff_service.mfa_current_code(secret)})
    assert replay.status_code == 401
    # a recovery code works once
    rec = await third.post("/console/login/mfa", headers=HTML, data={"csrf_token": csrf_of(form.text), "code": codes[0]})
    assert rec.status_code == 303
    fourth = new_client()
    await login(fourth, "admin")
    form = await fourth.get("/console/login/mfa", headers=HTML)
    again = await fourth.post("/console/login/mfa", headers=HTML, data={"csrf_token": csrf_of(form.text), "code": codes[0]})
    assert again.status_code == 401
    entry = await AuditLog.filter(action="login.ok").order_by("-seq").first()
    assert entry is not None and entry.detail["second_factor"] == "recovery"
    clock.freeze(None)


async def test_wrong_codes_lock_the_second_step(client: httpx.AsyncClient, settings: Any) -> None:
    user = await make_staff(username="lawyer", role=Role.LAWYER, unit_codes=["JXSQ"])
    new = await staff_service.mfa_start_enrolment(user=user)
    await staff_service.mfa_confirm_enrolment(user=user, code=staff_service.mfa_current_code(new["secret"]))
    await login(client, "lawyer")  # optional for this role, but enrolled: asked for the code
    form = await client.get("/console/login/mfa", headers=HTML)
    statuses = []
    for _ in range(settings.login_max_failures + 1):
        r = await client.post("/console/login/mfa", headers=HTML, data={"csrf_token": csrf_of(form.text), "code": "999999"})
        statuses.append(r.status_code)
    assert statuses[-1] == 423 and statuses.count(401) == settings.login_max_failures
    r = await client.post("/console/login/mfa", headers=HTML,
                          data={"csrf_token": csrf_of(form.text), "code": staff_service.mfa_current_code(new["secret"])})
    assert r.status_code == 423  # even the right code, until the lock period has passed
    assert await AuditLog.filter(action="login.mfa_locked").exists()


ROLE_RIGHTS = {  # the table docs/compliance.md shows; a change of rights must change this test
    Role.DISTRICT_ADMIN: {"residents.read", "residents.reveal", "cases.work", "cases.export", "staff.view",
                          "jobs.manage", "booking.services"},
    Role.TOWNSHIP_STAFF: {"residents.read", "residents.reveal", "cases.work", "cases.export"},
    Role.LAWYER: {"residents.read", "residents.reveal", "cases.work", "cases.export"},
    Role.MEDIATOR: {"residents.read", "residents.reveal", "cases.work", "cases.export"},
    Role.SUPERVISOR: {"residents.read", "cases.read", "cases.export", "staff.view"},
    Role.SYSTEM_ADMIN: {"staff.view", "staff.accounts", "jobs.manage"},
    Role.SECURITY_ADMIN: {"staff.view", "staff.roles", "staff.mfa_reset"},
    Role.AUDIT_ADMIN: {"audit.read", "audit.verify", "audit.export"},
}


def test_each_roles_rights() -> None:
    assert {r: set(v) for r, v in staff_service.RIGHTS.items()} == ROLE_RIGHTS
    admins = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
    for a in admins:  # 三权分立: no right shared between the three, none of them touches residents' data
        assert not any(r.startswith(("residents.", "cases.")) for r in staff_service.RIGHTS[a])
        for b in admins:
            if a != b:
                assert not (staff_service.RIGHTS[a] - {"staff.view"}) & staff_service.RIGHTS[b]
    assert all("audit.read" not in v for r, v in staff_service.RIGHTS.items() if r != Role.AUDIT_ADMIN)


async def test_the_three_administrators_are_separate(client: httpx.AsyncClient, new_client: Any) -> None:
    """Through HTTP: each administrator can do their part only, none can change their own account,
    none sees a resident; a role change moves an account from one duty to another, never adds one."""
    sysadmin = await make_staff(username="sysadmin", role=Role.SYSTEM_ADMIN, unit_codes=["YX"])
    secadmin = await make_staff(username="secadmin", role=Role.SECURITY_ADMIN, unit_codes=["YX"])
    await make_staff(username="auditor", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    clerk = await make_staff(username="clerk")
    r = await make_resident()
    browsers = {}
    for name in ("sysadmin", "secadmin", "auditor"):
        browsers[name] = new_client()
        assert (await login(browsers[name], name)).status_code == 303
    tokens = {}
    for name, b in browsers.items():
        page = await b.get("/console/mfa", headers=HTML)
        tokens[name] = csrf_of(page.text)
        # no administrator reads a resident or a case list with residents in it
        assert (await b.get(f"/console/residents/{r.id}", headers=HTML)).status_code in (403, 404)
        inbox = await b.get("/console/inbox", headers=HTML)
        assert "张三" not in inbox.text and "138" not in inbox.text

    def post(name: str, path: str, **data: str) -> Any:
        return browsers[name].post(path, headers=HTML, data={"csrf_token": tokens[name], **data})

    # system administrator: accounts yes, roles no, audit no
    assert (await post("sysadmin", f"/console/staff/{clerk.id}/active", active="0")).status_code == 303
    assert (await post("sysadmin", f"/console/staff/{clerk.id}/role", role="district_admin")).status_code == 403
    assert (await browsers["sysadmin"].get("/console/audit", headers=HTML)).status_code == 403
    assert (await post("sysadmin", f"/console/staff/{sysadmin.id}/active", active="0")).status_code == 403  # own
    # security administrator: roles yes (not their own), accounts no, audit no
    assert (await post("secadmin", f"/console/staff/{clerk.id}/role", role="lawyer")).status_code == 303
    assert (await post("secadmin", f"/console/staff/{secadmin.id}/role", role="audit_admin")).status_code == 403
    assert (await post("secadmin", f"/console/staff/{clerk.id}/active", active="1")).status_code == 403
    assert (await browsers["secadmin"].get("/console/audit/export", headers=HTML)).status_code == 403
    # audit administrator: reads the log; changes nothing
    assert (await browsers["auditor"].get("/console/audit", headers=HTML)).status_code == 200
    for path, data in ((f"/console/staff/{clerk.id}/active", {"active": "1"}),
                       (f"/console/staff/{clerk.id}/role", {"role": "audit_admin"}),
                       (f"/console/staff/{clerk.id}/unlock", {})):
        assert (await post("auditor", path, **data)).status_code == 403
    row = await StaffUser.get(id=clerk.id)
    assert row.role == Role.LAWYER and not row.active  # one role per account, changed, never combined


async def test_password_policy_expiry_and_history(client: httpx.AsyncClient) -> None:
    _policy(password_min_length=12, password_min_classes=4, password_max_age_days=90, password_history=3,
            staff_dormant_days=0)
    user = await make_staff(username="clerk", password="Correct-horse-42")
    with pytest.raises(staff_service.WeakPassword) as exc:
        await staff_service.change_password(staff_id=user.id, old_password="Correct-horse-42", new_password="lower-case-only-1")
    assert "至少 12 位" in exc.value.message_zh and "4 种" in exc.value.message_zh
    await staff_service.change_password(staff_id=user.id, old_password="Correct-horse-42", new_password="Second-Pass-1234")
    await staff_service.change_password(staff_id=user.id, old_password="Second-Pass-1234", new_password="Third-Pass-12345")
    with pytest.raises(staff_service.PasswordReused):  # one of the last three
        await staff_service.change_password(staff_id=user.id, old_password="Third-Pass-12345", new_password="Correct-horse-42")
    # 91 days later the password has expired: login works but every page asks for a new password
    clock.freeze(clock.utcnow() + timedelta(days=91))
    assert (await login(client, "clerk", "Third-Pass-12345")).headers["location"] == "/console/password"
    r = await client.get("/console/inbox", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/console/password"
    assert await AuditLog.filter(action="password.expired", target_id=str(user.id)).exists()
    clock.freeze(None)


async def test_dormant_account_is_disabled_and_idle_session_ends(client: httpx.AsyncClient) -> None:
    _policy(staff_dormant_days=90, session_idle_minutes=30)
    await make_staff(username="clerk")
    await make_staff(username="old", password=PASSWORD)
    assert (await login(client, "clerk")).status_code == 303
    assert (await client.get("/console/inbox", headers=HTML)).status_code == 200
    clock.freeze(clock.utcnow() + timedelta(minutes=31))  # idle
    r = await client.get("/console/inbox", headers=HTML)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert await AuditLog.filter(action="session.idle_timeout").exists()
    clock.freeze(clock.utcnow() + timedelta(days=91))  # "old" has never logged in since its creation
    r = await login(client, "old")
    assert r.status_code == 401  # the same answer as a wrong password
    row = await StaffUser.get(username="old")
    assert not row.active and row.disabled_reason == "dormant"
    assert await AuditLog.filter(action="staff.disabled_dormant", target_id=str(row.id)).exists()
    clock.freeze(None)


async def test_the_demo_accounts_cannot_be_used_in_production(settings: Any, db: None) -> None:
    from app import production

    await staff_service.create_staff(username="admin", name="区管理员", role=Role.DISTRICT_ADMIN, unit_codes=["YX"],
                                      password=staff_service.DEMO_PASSWORD)
    assert await production.demo_accounts_in_use() == ["admin"]
    assert await production.disable_demo_accounts(settings) == []  # demo mode: kept
    assert await production.disable_demo_accounts(make_settings(demo=False)) == ["admin"]
    row = await StaffUser.get(username="admin")
    assert not row.active and row.disabled_reason == "default_password"
