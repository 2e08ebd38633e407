"""Personal data (encrypted at rest, masked, audited reveals, export, erasure, purge) and org scoping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections

from app.cases import service
from app.cases.models import Case, CaseEvent, CaseMessage
from app.core import clock
from app.errors import Forbidden, NotFound
from app.residents import service as residents_service
from app.residents.models import Resident
from app.staff.models import AuditLog
from tests.cases.conftest import Team

PHONE = "13812345678"
IDNO = "11010519491231002X"


async def _resident_with_case(team: Team) -> tuple[Resident, Case]:
    r = await service.record_resident(actor=team.clerk, name="王小明", phone=PHONE, id_number=IDNO,
                                      community_code="JXSQ", township_code="YXJD")
    case = await service.open_case(type="legal_aid", resident_id=r.id, channel="walk_in", summary="王小明申请援助，电话13812345678",
                                   community_code="JXSQ", actor=team.clerk,
                                   conversation=[{"role": "resident", "text": "我的电话是13812345678"}])
    return r, case


async def test_phone_and_id_are_ciphertext_in_the_database(team: Team) -> None:
    r, _ = await _resident_with_case(team)
    conn = connections.get("default")
    _, rows = await conn.execute_query(f"SELECT phone_enc, phone_hash, id_number_enc, id_number_hash FROM resident WHERE id = {r.id}")
    row = dict(rows[0])
    for col in ("phone_enc", "id_number_enc"):
        assert row[col].startswith("sm4:k0:")  # SM4-GCM under the data key derived from pii_key
        assert PHONE not in row[col] and IDNO not in row[col] and "5678" not in row[col][:3]
    assert row["phone_hash"] != PHONE and len(row["phone_hash"]) == 64
    # the same number twice gives two ciphertexts (random nonce) but one lookup hash
    again = await service.record_resident(actor=team.clerk, name="王小明", phone="138-1234-5678")
    assert again.id == r.id
    found = await service.find_resident_by_phone(actor=team.clerk, phone="+8613812345678")
    assert found is not None and found.id == r.id


async def test_masked_view_and_audited_reveal(team: Team) -> None:
    r, _ = await _resident_with_case(team)
    view = await service.get_resident_view(actor=team.clerk, resident_id=r.id)
    assert view.phone_masked == "138****5678" and view.id_number_masked == "110105********002X"
    assert len(view.cases) == 1
    assert await AuditLog.filter(action="resident.reveal_phone").count() == 0
    assert await service.reveal_phone(actor=team.clerk, resident_id=r.id, reason="回访") == PHONE
    assert await service.reveal_id_number(actor=team.clerk, resident_id=r.id) == IDNO
    logs = await AuditLog.filter(action__startswith="resident.reveal").order_by("id")
    assert [(a.action, a.actor_id, a.target_id) for a in logs] == [
        ("resident.reveal_phone", team.clerk.id, str(r.id)), ("resident.reveal_id_number", team.clerk.id, str(r.id))]
    assert all(PHONE not in str(a.detail) for a in logs)


async def test_export_and_erase(team: Team) -> None:
    r, case = await _resident_with_case(team)
    await service.add_note(actor=team.clerk, case_id=case.id, text="内部：材料齐全")
    data = await residents_service.export_resident(resident_id=r.id)
    assert data["resident"]["phone"] == PHONE and data["resident"]["id_number"] == IDNO
    assert data["cases"][0]["number"] == case.number
    assert all(m["role"] != "note" for m in data["cases"][0]["messages"])
    events_before = await CaseEvent.filter(case_id=case.id).count()
    res = await residents_service.erase_resident(resident_id=r.id, actor=team.admin, reason="居民书面申请")
    assert res["cases"] == 1
    r = await Resident.get(id=r.id)
    assert (r.phone_enc, r.phone_hash, r.id_number_enc, r.id_number_hash, r.name) == (None, None, None, None, "")
    assert r.erased_at is not None
    case = await Case.get(id=case.id)
    assert PHONE not in case.summary and case.type == "legal_aid" and case.township_code == "YXJD"
    msgs = await CaseMessage.filter(case_id=case.id, role="resident")
    assert msgs and all(PHONE not in m.text and m.scrubbed for m in msgs)
    assert await CaseEvent.filter(case_id=case.id).count() == events_before + 1  # history kept, erasure added
    assert await AuditLog.filter(action="resident.erase", target_id=str(r.id)).exists()
    assert await service.find_resident_by_phone(actor=team.clerk, phone=PHONE) is None


async def test_chat_logs_purged_after_retention(team: Team, settings: Any) -> None:
    clock.freeze(datetime(2025, 1, 10, 2, tzinfo=UTC))
    _, case = await _resident_with_case(team)
    clock.freeze(datetime(2025, 1, 10, 2, tzinfo=UTC) + timedelta(days=settings.chat_retention_days - 1))
    assert await residents_service.purge_chat_logs() == 0
    clock.freeze(datetime(2025, 1, 10, 2, tzinfo=UTC) + timedelta(days=settings.chat_retention_days + 1))
    assert await residents_service.purge_chat_logs() == 1
    assert (await CaseMessage.get(case_id=case.id, role="resident")).scrubbed
    assert await residents_service.purge_chat_logs() == 0


async def test_another_township_gets_not_found_everywhere(team: Team) -> None:
    r, case = await _resident_with_case(team)
    o = team.other
    cid = case.id
    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: service.get_case(actor=o, case_id=cid),
        lambda: service.take(actor=o, case_id=cid),
        lambda: service.reply(actor=o, case_id=cid, text="x"),
        lambda: service.add_note(actor=o, case_id=cid, text="x"),
        lambda: service.start(actor=o, case_id=cid),
        lambda: service.return_for_info(actor=o, case_id=cid, reason="x"),
        lambda: service.give_result(actor=o, case_id=cid, text="x"),
        lambda: service.close(actor=o, case_id=cid, reason="x"),
        lambda: service.reopen(actor=o, case_id=cid, reason="x"),
        lambda: service.archive(actor=o, case_id=cid),
        lambda: service.transfer(actor=o, case_id=cid, reason="x", to_unit_code="TYZ"),
        lambda: service.get_resident_view(actor=o, resident_id=r.id),
        lambda: service.reveal_phone(actor=o, resident_id=r.id),
        lambda: service.reveal_id_number(actor=o, resident_id=r.id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            await call()
    assert (await service.list_cases(actor=o)).total == 0
    assert (await service.dashboard_figures(actor=o))["total"] == 0
    assert await service.export_rows(actor=o) == []
    assert await service.find_resident_by_phone(actor=o, phone=PHONE) is None
    with pytest.raises(Forbidden):  # cannot record a case for another township either
        await service.open_case(type="other", resident_id=None, channel="hotline", summary="x",
                                township_code="YXJD", actor=o)
    # the township's own staff and the district see it
    assert (await service.list_cases(actor=team.clerk2)).total == 1
    assert (await service.list_cases(actor=team.admin, status="open")).total == 1
    rows = await service.export_rows(actor=team.admin)
    assert len(rows) == 1 and PHONE not in str(rows[0])


async def test_read_only_supervisor_sees_but_cannot_act(team: Team) -> None:
    _, case = await _resident_with_case(team)
    assert (await service.get_case(actor=team.inspector, case_id=case.id)).case.id == case.id
    for call in (lambda: service.take(actor=team.inspector, case_id=case.id),
                 lambda: service.add_note(actor=team.inspector, case_id=case.id, text="x"),
                 lambda: service.close(actor=team.inspector, case_id=case.id, reason="x")):
        with pytest.raises(Forbidden):
            await call()


async def test_list_filters_and_dashboard(team: Team) -> None:
    clock.freeze(datetime(2025, 3, 3, 2, tzinfo=UTC))
    a = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评甲", township_code="YXJD")
    await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询乙", township_code="YXJD")
    await service.take(actor=team.clerk, case_id=a.id)
    assert [c.id for c in (await service.list_cases(actor=team.clerk, owner="me")).items] == [a.id]
    assert (await service.list_cases(actor=team.clerk, owner="none")).total == 1
    assert (await service.list_cases(actor=team.clerk, q="差评")).total == 1
    assert (await service.list_cases(actor=team.clerk, q=a.number)).total == 1
    clock.freeze(datetime(2025, 3, 9, 18, tzinfo=UTC))  # 03-10 02:00 local: consultation (5wd) due 03-10 24:00
    page = await service.list_cases(actor=team.clerk, due="due_soon")
    assert page.total == 1 and page.items[0].due == "due_soon"  # type: ignore[attr-defined]
    clock.freeze(datetime(2025, 3, 11, 2, tzinfo=UTC))
    figures = await service.dashboard_figures(actor=team.clerk)
    assert (figures["open"], figures["overdue"], figures["unowned"]) == (2, 1, 1)
    assert (await service.list_cases(actor=team.clerk, due="overdue")).total == 1
