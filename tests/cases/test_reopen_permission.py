"""Reopening a finished case: only its owner, the owner's lead or a district admin, through the console."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.actor import Role
from tests.console.conftest import HTML, login, session_csrf
from tests.factories import make_case, make_staff


async def _closed_case(owner: Any) -> Any:
    from app.cases import service as cases_service
    from app.staff.service import actor_for

    case = await make_case()
    actor = await actor_for(owner)
    await cases_service.take(actor=actor, case_id=case.id)
    await cases_service.close(actor=actor, case_id=case.id, reason="居民撤回")
    return case


async def _reopen_as(client: httpx.AsyncClient, username: str, case_id: int) -> httpx.Response:
    await login(client, username)
    csrf = await session_csrf(client)
    return await client.post(f"/console/cases/{case_id}/reopen", headers=HTML,
                             data={"csrf_token": csrf, "reason": "居民对结果有异议"})


async def test_only_owner_lead_or_admin_reopen(app: Any) -> None:
    from app.cases.models import Case

    def new_client() -> httpx.AsyncClient:  # one browser per staff member
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    lead = await make_staff(username="lead", name="赵站长")
    owner = await make_staff(username="owner", name="李四", supervisor_id=lead.id)
    await make_staff(username="peer", name="张三", supervisor_id=lead.id)  # same unit, not the owner
    await make_staff(username="insp", name="督导", role=Role.SUPERVISOR, unit_codes=["YX"])
    await make_staff(username="boss", name="王主任", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    case = await _closed_case(owner)

    for refused in ("peer", "insp"):
        r = await _reopen_as(new_client(), refused, case.id)
        assert r.status_code == 403, (refused, r.status_code)
        assert (await Case.get(id=case.id)).status == "closed"
    r = await _reopen_as(new_client(), "peer", case.id)
    assert "只有案件负责人、其所在单位负责人或区管理员" in r.text

    for allowed in ("owner", "lead", "boss"):
        r = await _reopen_as(new_client(), allowed, case.id)
        assert r.status_code == 303 and r.headers["location"].endswith("notice=reopen"), (allowed, r.text[:300])
        case_row = await Case.get(id=case.id)
        assert case_row.status == "in_progress" and case_row.owner_id == owner.id
        from app.cases import service as cases_service
        from app.staff.service import actor_for

        await cases_service.close(actor=await actor_for(owner), case_id=case.id, reason="再次办结")
