"""安全标记 (issue 26 §1): cases carry a sensitivity level, staff a clearance set by the security
administrator; the case desk, the resident's page and reveals obey them, through the console."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.actor import Role
from app.staff.models import AuditLog, StaffUser
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_case, make_resident, make_staff


async def _post(client: httpx.AsyncClient, path: str, page: str, **data: str) -> httpx.Response:
    token = csrf_of((await client.get(page, headers=HTML)).text)
    return await client.post(path, headers=HTML, data={"csrf_token": token, **data})


async def test_labels_and_clearance_limit_who_reads_a_case(client: httpx.AsyncClient, new_client: Any) -> None:
    owner = await make_staff(username="clerk")
    await make_staff(username="colleague", name="同事")
    admin = await make_staff(username="admin", name="区管理员", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await make_staff(username="secadmin", role=Role.SECURITY_ADMIN, unit_codes=["YX"])
    await make_staff(username="sysadmin", role=Role.SYSTEM_ADMIN, unit_codes=["YX"])
    r = await make_resident()
    case = await make_case(resident_id=r.id)
    page = f"/console/cases/{case.id}"
    await login(client, "clerk")
    await _post(client, f"{page}/take", page)
    shown = await client.get(page, headers=HTML)
    assert 'id="security-level">内部<' in shown.text  # the default label, shown
    # no one labels above their own clearance (敏感 by default)
    r1 = await _post(client, f"{page}/label", page, level="3", reason="家暴受害人")
    assert r1.status_code == 403 and "高于本人密级权限" in r1.text

    # the security administrator raises the clerk's clearance; nobody else may, nor for themselves
    sec, sysadm = new_client(), new_client()
    await login(sec, "secadmin")
    await login(sysadm, "sysadmin")
    assert (await _post(sysadm, f"/console/staff/{owner.id}/clearance", "/console/staff", level="3")).status_code == 403
    me = await StaffUser.get(username="secadmin")
    assert (await _post(sec, f"/console/staff/{me.id}/clearance", "/console/staff", level="3")).status_code == 403
    assert (await _post(sec, f"/console/staff/{owner.id}/clearance", "/console/staff", level="3")).status_code == 303
    assert (await StaffUser.get(id=owner.id)).clearance == 3
    assert "改密级" in (await sec.get("/console/staff", headers=HTML)).text

    # labelled 机密: the owner keeps it; a colleague of the same unit and the district admin lose sight
    assert (await _post(client, f"{page}/label", page, level="3", reason="家暴受害人")).status_code == 303
    assert 'id="security-level">机密<' in (await client.get(page, headers=HTML)).text
    colleague, district = new_client(), new_client()
    await login(colleague, "colleague")
    await login(district, "admin")
    for b in (colleague, district):
        assert (await b.get(page, headers=HTML)).status_code == 404
        assert case.number not in (await b.get("/console/inbox?tab=all", headers=HTML)).text
        assert (await b.get(f"/console/residents/{r.id}", headers=HTML)).status_code == 404
    export = await district.get("/console/export", headers=HTML)
    assert case.number not in export.text
    # lowering (降密) is the district administrator's, with clearance for it
    assert (await _post(client, f"{page}/label", page, level="1", reason="误标")).status_code == 403
    assert (await _post(sec, f"/console/staff/{admin.id}/clearance", "/console/staff", level="3")).status_code == 303
    assert (await _post(district, f"{page}/label", page, level="1", reason="经审核降为内部")).status_code == 303
    assert (await colleague.get(page, headers=HTML)).status_code == 200

    labelled = await AuditLog.filter(action="case.labelled").order_by("seq").values_list("detail", flat=True)
    assert [(d["from"], d["to"]) for d in labelled] == [(1, 3), (3, 1)]  # type: ignore[index]
    assert await AuditLog.filter(action="staff.clearance_changed", actor_role="security_admin").count() == 2


async def test_a_low_clearance_cannot_reveal_personal_numbers(client: httpx.AsyncClient, new_client: Any) -> None:
    await make_staff(username="clerk")
    await make_staff(username="secadmin", role=Role.SECURITY_ADMIN, unit_codes=["YX"])
    r = await make_resident()
    clerk = await StaffUser.get(username="clerk")
    sec = new_client()
    await login(sec, "secadmin")
    assert (await _post(sec, f"/console/staff/{clerk.id}/clearance", "/console/staff", level="1")).status_code == 303
    await login(client, "clerk")
    resident_page = f"/console/residents/{r.id}"
    assert (await client.get(resident_page, headers=HTML)).status_code == 200  # masked view: 内部
    refused = await _post(client, f"{resident_page}/reveal", resident_page, field="phone")
    assert refused.status_code == 403 and "密级权限不足" in refused.text and "13812345678" not in refused.text
    assert not await AuditLog.filter(action="resident.reveal_phone").exists()
