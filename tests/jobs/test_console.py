"""后台任务 in the console (HTTP): the dead letters are listed and retried by the system and district
administrators (audited), refused to other roles; the in-process runner then runs the retried job."""

from __future__ import annotations

from typing import Any

from app import wiring
from app.core.actor import Role
from app.jobs import service as jobs
from app.jobs.models import Job
from app.staff.models import AuditLog
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_staff


async def _dead_letter() -> Job:
    wiring.load(wiring.JOB_MODULES)  # the probe handler, as a serving process registers it
    job = await jobs.enqueue("jobs.probe", {"run": "payload-x7", "i": 1, "fail": True}, max_attempts=1)
    assert job is not None
    await jobs.drain()
    row = await Job.get(id=job.id)
    assert row.status == "failed"
    return row


async def test_system_admin_sees_and_retries_a_dead_letter(client: Any, settings: Any, tmp_path: Any) -> None:
    job = await _dead_letter()
    await make_staff(username="sysadm", name="系统管理员", role=Role.SYSTEM_ADMIN, unit_codes=["YQ"])
    r = await login(client, "sysadm")
    assert r.status_code in (302, 303), r.text[:300]
    page = await client.get("/console/jobs", headers=HTML)
    assert page.status_code == 200
    assert f'data-job="{job.id}"' in page.text and "probe asked to fail" in page.text and "失败（死信）" in page.text
    assert "payload-x7" not in page.text  # payloads are not shown (they may name residents)
    await Job.filter(id=job.id).update(payload={"run": "payload-x7", "i": 1})  # the cause is put right
    r = await client.post(f"/console/jobs/{job.id}/retry", headers=HTML, data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/console/jobs?notice=retried"
    assert (await Job.get(id=job.id)).status == "pending"
    assert await AuditLog.filter(action="jobs.retried", target_id=str(job.id)).count() == 1
    assert await jobs.drain() == 1
    assert (await Job.get(id=job.id)).status == "done"
    again = await client.post(f"/console/jobs/{job.id}/retry", headers=HTML, data={"csrf_token": csrf_of(page.text)})
    assert again.headers["location"] == "/console/jobs?notice=gone"


async def test_other_roles_are_refused(client: Any) -> None:
    job = await _dead_letter()
    await make_staff(username="clerk1")
    await login(client, "clerk1")
    page = await client.get("/console/jobs", headers=HTML)
    assert page.status_code == 403
    home = await client.get("/console/password", headers=HTML)
    r = await client.post(f"/console/jobs/{job.id}/retry", headers=HTML, data={"csrf_token": csrf_of(home.text)})
    assert r.status_code == 403
    assert (await Job.get(id=job.id)).status == "failed"
