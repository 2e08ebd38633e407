"""The district administrator edits a bookable service's own fields in the console (/console/booking/services):
the new duration cuts the slots residents are offered at once, what to bring reaches the confirmation, the
legal basis is checked against the law in force, bad input gets a Chinese message with nothing typed lost,
every save is audited with before and after; a township clerk reads but cannot change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.booking.models import BookingService
from app.core.actor import Role
from app.staff.models import AuditLog
from tests.booking.conftest import POINT, SERVICE
from tests.console.conftest import HTML, login, session_csrf
from tests.factories import make_staff

FORM = {"duration": "45", "buffer": "15", "capacity": "2", "providers": "公证员",
        "documents": "身份证件\n房产证复印件", "checklist": "", "case_type": "notarization", "active": "1",
        "legal_basis": "《中华人民共和国公证法》第十一条、第二十五条", "reason": "公证处要求每次 45 分钟"}


@pytest.fixture
async def laws_loaded(app: Any, settings: Any) -> None:
    from app.laws import service as laws_service

    await laws_service.import_folder(folder=settings.laws_dir)


async def _slots(client: httpx.AsyncClient) -> list[str]:
    r = await client.get("/api/booking/slots", params={"point": POINT, "service": SERVICE})
    assert r.status_code == 200, r.text
    return [s["slot"] for s in r.json()["slots"] if s["slot"].startswith("2026-12-08")]


async def test_admin_edits_a_service_and_residents_see_it_at_once(client: httpx.AsyncClient, plan: Any,
                                                                  laws_loaded: Any) -> None:
    assert (await _slots(client))[:3] == ["2026-12-08T09:00", "2026-12-08T09:30", "2026-12-08T10:00"]
    await make_staff(username="bk-admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "bk-admin")
    csrf = await session_csrf(client)
    page = await client.get("/console/booking/services", headers=HTML)
    assert page.status_code == 200 and "公证咨询" in page.text and f'/console/booking/services/{SERVICE}' in page.text

    # bad input: a Chinese message on the form, everything typed still there, nothing saved
    for over, says in [({"duration": "半小时"}, "每次时长（分钟）应为 5 到 480"),
                       ({"legal_basis": "《中华人民共和国公证法》第九百条"}, "没有第九百条"),
                       ({"legal_basis": "《中华人民共和国合同法》第五十二条"}, "法规库中没有"),
                       ({"legal_basis": "公证法有规定"}, "没有识别出法条"),
                       ({"case_type": "lottery"}, "请选择后续事项的类型")]:
        r = await client.post(f"/console/booking/services/{SERVICE}", headers=HTML,
                              data={**FORM, **over, "csrf_token": csrf})
        assert r.status_code == 200 and says in r.text, (over, r.text[-2000:])
        assert "房产证复印件" in r.text  # what was typed is shown again
    assert (await BookingService.get(code=SERVICE)).duration == 30

    r = await client.post(f"/console/booking/services/{SERVICE}", headers=HTML, data={**FORM, "csrf_token": csrf})
    assert r.status_code == 303 and "notice=" in r.headers["location"], r.text[-1000:]
    svc = await BookingService.get(code=SERVICE)
    assert (svc.duration, svc.buffer, svc.capacity, svc.documents) == (45, 15, 2, ["身份证件", "房产证复印件"])
    # 45 minutes + 15 between: 09:00 and 10:00 fit the 09:00–11:30 session, 11:00 would end after it
    assert await _slots(client) == ["2026-12-08T09:00", "2026-12-08T10:00"]
    entry = await AuditLog.filter(action="booking.service_edit").order_by("-id").first()
    assert entry is not None and entry.target_id == SERVICE and entry.actor_name
    assert entry.detail["changed"]["duration"] == [30, 45] and entry.detail["reason"] == FORM["reason"]

    booked = await client.post("/api/booking/bookings", json={"point": POINT, "service": SERVICE,
                                                          "slot": "2026-12-08T10:00", "name": "王五",
                                                          "phone": "13800138001"})
    assert booked.status_code == 201, booked.text
    assert "房产证复印件" in str(booked.json())  # what to bring reaches the resident

    r = await client.post(f"/console/booking/services/{SERVICE}", headers=HTML,
                          data={**FORM, "active": "", "csrf_token": csrf})
    assert r.status_code == 303
    assert not (await BookingService.get(code=SERVICE)).active
    page = await client.get(f"/console/booking/services/{SERVICE}", headers=HTML)
    assert "现有 1 个未来预约" in page.text


async def test_a_township_clerk_reads_the_list_but_cannot_change(client: httpx.AsyncClient, plan: Any) -> None:
    await make_staff(username="bk-clerk", role=Role.TOWNSHIP_STAFF, unit_codes=["TYZ"])
    await login(client, "bk-clerk")
    csrf = await session_csrf(client)
    page = await client.get("/console/booking/services", headers=HTML)
    assert page.status_code == 200 and "只读" in page.text and "公证咨询" in page.text
    assert f"/console/booking/services/{SERVICE}" not in page.text
    page = await client.get(f"/console/booking/services/{SERVICE}", headers=HTML)
    assert page.status_code == 403
    r = await client.post(f"/console/booking/services/{SERVICE}", headers=HTML, data={**FORM, "csrf_token": csrf})
    assert r.status_code == 403 and "无权" in r.text
    assert (await BookingService.get(code=SERVICE)).duration == 30
    assert not await AuditLog.filter(action="booking.service_edit").exists()


async def test_the_supervisor_reads_a_service_but_cannot_save(client: httpx.AsyncClient, plan: Any) -> None:
    await make_staff(username="bk-sup", role=Role.SUPERVISOR, unit_codes=["YX"])
    await login(client, "bk-sup")
    page = await client.get(f"/console/booking/services/{SERVICE}", headers=HTML)
    assert page.status_code == 200 and "只读" in page.text and 'type="submit">保存' not in page.text
