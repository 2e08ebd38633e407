"""Administrators' pages (三权分立): the system administrator lifts login locks and disables accounts,
the security administrator changes roles, the audit administrator alone reads the audit log."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.actor import Role
from app.staff.models import AuditLog, StaffUser
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_staff


async def test_system_admin_sees_lock_and_lifts_it(client: httpx.AsyncClient, new_client: Any, settings: Any) -> None:
    await make_staff(username="sysadmin", role=Role.SYSTEM_ADMIN, unit_codes=["YX"])
    victim = await make_staff(username="clerk")
    other = new_client()
    for _ in range(settings.login_max_failures):
        await login(other, "clerk", "wrong-password-9")
    assert (await StaffUser.get(id=victim.id)).locked_until is not None
    await login(client, "sysadmin")
    page = await client.get("/console/staff", headers=HTML)
    assert page.status_code == 200 and "锁定至" in page.text and "账号管理" in page.text
    assert "案件收件箱" not in page.text  # no case work in an administrator's navigation
    r = await client.post(f"/console/staff/{victim.id}/unlock", headers=HTML, data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert (await login(other, "clerk")).status_code == 303
    assert await AuditLog.filter(action="login.unlocked", target_id=str(victim.id)).exists()
    # the system administrator does not read the audit log
    assert (await client.get("/console/audit?kind=login", headers=HTML)).status_code == 403
    auditor = new_client()
    await make_staff(username="auditor", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    await login(auditor, "auditor")
    audit = await auditor.get("/console/audit?kind=login", headers=HTML)
    assert "账号锁定" in audit.text and "解除锁定" in audit.text and "登录失败" in audit.text


async def test_township_staff_and_supervisor_limits(client: httpx.AsyncClient, new_client: Any) -> None:
    await make_staff(username="clerk")
    await login(client, "clerk")
    for path in ("/console/staff", "/console/audit"):
        assert (await client.get(path, headers=HTML)).status_code == 403
    page = await client.get("/console/password", headers=HTML)
    assert "人员与审计" not in page.text
    await make_staff(username="sup", role=Role.SUPERVISOR, unit_codes=["YX"])
    sup = new_client()
    await login(sup, "sup")
    page = await sup.get("/console/staff", headers=HTML)
    assert page.status_code == 200 and "解除锁定</button>" not in page.text
    assert (await sup.get("/console/audit", headers=HTML)).status_code == 403  # only the audit administrator
    assert await AuditLog.filter(action="console.denied", actor_id=(await StaffUser.get(username="sup")).id).exists()
