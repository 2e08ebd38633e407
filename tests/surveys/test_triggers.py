"""Triggers: a consultation the resident marks solved ("解决了" after an answer: the invitation in the
reply, once per answer); an appointment checked in (the ``booking.checked_in`` event any domain may
publish: one invitation per booking, however often published); a resident's erasure reaches the rows."""

from __future__ import annotations

from typing import Any

import httpx
from tortoise.transactions import in_transaction

from app.core import events
from app.jobs.models import Job
from app.residents import service as residents_service
from app.surveys.models import SurveyInvitation, SurveyResponse
from tests.surveys.conftest import follower
from tests.wechat.helpers import PLAIN, sim


async def test_a_consultation_marked_solved_is_rated_once(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                          kb: None) -> None:
    s = sim(client, PLAIN)
    await follower(emu, PLAIN, "o_solved")
    await s.text("o_solved", "解决了")  # no answer yet: nothing to rate
    assert not await SurveyInvitation.exists()
    answer = (await s.text("o_solved", "公司拖欠工资三个月不发怎么办")).text or ""
    assert "工资" in answer
    reply = (await s.text("o_solved", "问题解决了，谢谢")).text or ""
    assert "很高兴能帮到您" in reply and "1 非常满意" in reply
    inv = await SurveyInvitation.get(openid="o_solved")
    assert inv.service_type == "consultation" and inv.status == "sent" and inv.via == "passive"
    assert "感谢您的评价" in ((await s.text("o_solved", "2")).text or "")  # a bare digit, right after
    again = (await s.text("o_solved", "解决了")).text or ""  # the answer is no longer open: no second invitation
    assert "1 非常满意" not in again
    assert await SurveyInvitation.filter(openid="o_solved").count() == 1
    # another answer opens the consultation's related questions ("1" picks one), but the tap is a rating
    await s.text("o_solved", "公司拖欠工资三个月不发怎么办")
    assert "已将您的评价更正为：非常满意" in ((await s.text("o_solved", "1 非常满意")).text or "")
    resp = await SurveyResponse.get(invitation_id=inv.id)
    assert resp.level == 1 and [h["level"] for h in resp.history] == [2]


async def test_an_appointment_checked_in_is_invited_once(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                         drain_jobs: Any) -> None:
    await follower(emu, PLAIN, "o_booked")
    await sim(client, PLAIN).text("o_booked", "你好")
    for _ in range(3):  # published again (a retry, a second worker): one job, one invitation
        async with in_transaction():
            await events.publish("booking.checked_in", booking_id=41, account_key=PLAIN, openid="o_booked",
                                 township_code="YXJD", service="notarization", provider="公证处")
    assert await Job.filter(name="surveys.invite_service").count() == 1
    await drain_jobs()
    inv = await SurveyInvitation.get(service_key="booking:41")
    assert inv.service_type == "appointment" and inv.service == "notarization" and inv.status == "sent"


async def test_erasure_removes_the_identity_and_keeps_the_rating(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                                kb: None) -> None:
    s = sim(client, PLAIN)
    await s.text("o_erase_sv", "公司拖欠工资三个月不发怎么办")
    await s.text("o_erase_sv", "解决了")
    await s.text("o_erase_sv", "4 不满意")
    await s.text("o_erase_sv", "回答太笼统，我电话13912345678")
    inv = await SurveyInvitation.get(openid="o_erase_sv")
    resp = await SurveyResponse.get(invitation_id=inv.id)
    assert "13912345678" in resp.answers["comment"]
    assert inv.resident_id is not None
    exported = await residents_service.export_resident(resident_id=inv.resident_id)  # access request first
    [mine] = exported["surveys"]
    assert mine["level"] == 4 and "13912345678" in mine["answers"]["comment"]
    await residents_service.erase_resident(resident_id=inv.resident_id, reason="居民申请删除")
    inv = await SurveyInvitation.get(id=inv.id)
    resp = await SurveyResponse.get(id=resp.id)
    assert inv.openid is None and inv.resident_id is None and "comment" not in resp.answers and resp.level == 4


async def test_a_check_in_at_the_desk_invites_with_the_points_township(client: httpx.AsyncClient,
                                                                        drain_jobs: Any) -> None:
    """Booking's own check-in (not a hand-made event): the invitation knows the township and service."""
    from app.booking import service as booking_service
    from app.org import service as org_service
    from tests.factories import make_booking_plan

    await make_booking_plan(point="SP-SQZ", service="notary", weekdays=(0, 1, 2, 3, 4, 5, 6))
    slot = (await booking_service.free_slots(point_code="SP-SQZ", service_code="notary"))[0]
    booked = await booking_service.book(point_code="SP-SQZ", service_code="notary", starts_at=slot.starts_at,
                                        name="李四", phone="13911112222", channel="console")
    await booking_service.check_in(code=booked.code, scope=await org_service.scope_for(["YX"]), staff_name="前台",
                                   now=slot.starts_at)
    await drain_jobs()
    inv = await SurveyInvitation.get(service_type="appointment")
    assert inv.township_code == "SQZ" and inv.service == "notary"
