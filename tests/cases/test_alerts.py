"""Urgent is urgent, every alert has a recipient, alerts are read and acknowledged, overdue cases
are escalated, and a queued message's delivery status follows what really happened — through the
real callback (simulator) and the loopback WeChat (emulator)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.cases import notices, service, tasks
from app.cases.models import Case, CaseEvent, CaseMessage, CaseNotice, CaseReminder
from app.core import clock
from app.core.clock import LOCAL_TZ
from tests.cases.conftest import Team, build_team
from tests.consult.conftest import FIXTURE_KB
from tests.wechat.helpers import PLAIN, SAFE, sim


@pytest.fixture(autouse=True)
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    engine.get_engine()  # built now, not inside the first callback's time budget
    yield
    engine.use_folder(None)


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=LOCAL_TZ).astimezone(UTC)


async def test_urgent_case_shorter_deadline_top_of_lists_and_alerts_with_template_message(
        client: httpx.AsyncClient, drain_jobs: Any, emulator: Any) -> None:
    team = await build_team()
    # the township clerk allowed WeChat alerts: their code sent to the district's service account
    district = emulator.by_key("yx_district")
    district.templates.add("fawu-case-alert")  # the district added the alert template (settings' id)
    emulator.add_follower(district, openid="o_staff_clerk")
    code = await service.staff_alert_code(actor=team.clerk)
    bound = (await sim(client, "yx_district").text("o_staff_clerk", f"绑定 {code.code}")).text or ""
    assert "已开通工作台提醒" in bound
    ordinary = await service.open_case(type="consultation", resident_id=None, channel="walk_in", summary="咨询",
                                       township_code="YXJD")
    s = sim(client, PLAIN)
    reply = (await s.text("o_urgent1", "我男人喝醉了拿刀说要杀了我")).text or ""
    assert reply.startswith("【紧急提示】")
    urgent = await Case.get(openid="o_urgent1")
    assert urgent.urgent and urgent.time_limit == "4h"
    assert urgent.deadline_at is not None and (urgent.deadline_at - urgent.opened_at).total_seconds() == 4 * 3600
    page = await service.list_cases(actor=team.clerk, status="open")
    assert [c.id for c in page.items][:2] == [urgent.id, ordinary.id]  # top of the list
    who = {n.staff_id for n in await CaseNotice.filter(case_id=urgent.id, kind="urgent")}
    assert {team.clerk.id, team.clerk2.id, team.admin.id} <= who  # the unit's staff and the district's duty
    await drain_jobs()
    sent = emulator.sent.get("template", [])
    assert [t["openid"] for t in sent] == ["o_staff_clerk"]  # only the one who allowed it
    assert sent[0]["data"]["character_string2"]["value"] == urgent.number


async def test_district_case_without_township_warns_the_duty_role_and_escalates(team: Team, drain_jobs: Any) -> None:
    clock.freeze(at(2025, 3, 3, 10))
    case = await service.open_case(type="legal_aid", resident_id=None, channel="wechat", summary="法律援助申请")
    assert case.township_code is None and case.community_code is None
    assert await notices.recipients(case) == [team.admin.id]  # nobody covers it: the duty role
    clock.freeze(at(2025, 3, 10, 9))  # due soon (7 days -> 03-10 24:00)
    assert await tasks.check_deadlines() == 1
    await drain_jobs()
    [rem] = await CaseReminder.filter(case_id=case.id)
    assert rem.staff_ids == [team.admin.id]
    clock.freeze(at(2025, 3, 11, 9))  # overdue: warned and escalated
    assert await tasks.check_deadlines() == 1
    await drain_jobs()
    kinds = {(n.kind, n.staff_id) for n in await CaseNotice.filter(case_id=case.id)}
    assert ("overdue", team.admin.id) in kinds and ("escalate", team.admin.id) in kinds
    assert await CaseEvent.filter(case_id=case.id, action="escalate").exists()


async def test_overdue_owned_case_escalates_to_the_unit_lead_and_alerts_are_acknowledged(
        team: Team, drain_jobs: Any) -> None:
    clock.freeze(at(2025, 3, 3, 10))
    case = await service.open_case(type="legal_aid", resident_id=None, channel="walk_in", summary="援助",
                                   township_code="YXJD", actor=team.clerk)
    clock.freeze(at(2025, 3, 11, 9))
    await tasks.check_deadlines()
    await drain_jobs()
    escalated = await CaseNotice.filter(case_id=case.id, kind="escalate").values_list("staff_id", flat=True)
    assert escalated == [team.leader_id]
    mine = await notices.unread_for(staff_id=team.clerk.id)
    assert {n.kind for n in mine} >= {"overdue"}
    await notices.mark_read(staff_id=team.clerk.id, case_id=case.id)
    assert all(n.read_at is not None for n in await CaseNotice.filter(staff_id=team.clerk.id))
    assert (await notices.count_unread(staff_id=team.clerk.id))["total"] >= 1  # read is not acknowledged
    await notices.acknowledge(staff_id=team.clerk.id)
    assert (await notices.count_unread(staff_id=team.clerk.id))["total"] == 0


async def test_queued_reply_and_result_show_the_real_outcome_when_delivered(
        client: httpx.AsyncClient, drain_jobs: Any, emulator: Any) -> None:
    team = await build_team()
    emulator.add_follower(emulator.by_key(PLAIN), openid="o_deliv")
    case = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                   township_code="YXJD", account_key=PLAIN, openid="o_deliv")
    msg = await service.reply(actor=team.clerk, case_id=case.id, text="请带身份证来窗口。")
    assert msg.delivery == "queued"  # no window yet
    await service.give_result(actor=team.clerk, case_id=case.id, text="已为您预约周三上午。")
    await drain_jobs()
    assert (await Case.get(id=case.id)).result_delivery == "queued"
    res = await sim(client, PLAIN).text("o_deliv", "ZZT-echo 在吗")  # the resident comes back
    assert "请带身份证来窗口" in (res.text or "")
    await drain_jobs()
    case = await Case.get(id=case.id)
    assert (await CaseMessage.get(id=msg.id)).delivery == "sent"  # not "queued" any more
    assert case.result_delivery == "sent"
    ev = await CaseEvent.filter(case_id=case.id, action="delivered").first()
    assert ev is not None and ev.actor_name == "系统"  # not attributed to the resident
    deliveries = await CaseEvent.filter(case_id=case.id, action__in=["delivered", "result_delivery"])
    assert len(deliveries) == 3 and {e.actor_name for e in deliveries} == {"系统"}


async def test_failed_delivery_reason_shown_and_owner_alerted(team: Team, drain_jobs: Any) -> None:
    case = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                   township_code="YXJD", account_key=SAFE, openid="o_gone", actor=team.clerk)
    msg = await service.reply(actor=team.clerk, case_id=case.id, text="您好")
    from app.jobs import service as jobs

    # what app.wechat.delivery's hook sends when a queued message ends unsent (expired after 48 h)
    await jobs.enqueue("cases.delivered", {"case_id": case.id, "message_id": msg.id, "outcome": "expired",
                                           "reason": "居民 48 小时内未再互动"})
    await drain_jobs()
    row = await CaseMessage.get(id=msg.id)
    assert (row.delivery, row.delivery_reason) == ("expired", "居民 48 小时内未再互动")
    assert await CaseNotice.filter(case_id=case.id, staff_id=team.clerk.id, kind="delivery").exists()


async def test_expired_reply_read_back_on_the_case_with_its_reason(team: Team, drain_jobs: Any) -> None:
    """The engine ends a queued answer "expired" (the resident never came back): the case page shows it
    with the engine's reason, and the owner is alerted (read back through wechat's delivery_outcome)."""
    from datetime import timedelta

    from app.wechat import delivery
    from app.wechat.models import PendingDelivery

    case = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                   township_code="YXJD", account_key=PLAIN, openid="o_never_back", actor=team.clerk)
    msg = await service.reply(actor=team.clerk, case_id=case.id, text="请补充合同照片")
    assert msg.delivery == "queued"
    await PendingDelivery.filter(openid="o_never_back").update(  # it has waited a month
        created_at=clock.utcnow() - timedelta(days=30))
    assert await delivery.expire_pending() == 1
    assert await service.refresh_deliveries() == 1
    row = await CaseMessage.get(id=msg.id)
    assert row.delivery == "expired" and "未能送达" in row.delivery_reason
    assert await CaseNotice.filter(case_id=case.id, staff_id=team.clerk.id, kind="delivery").exists()
    assert await service.refresh_deliveries() == 0  # once
