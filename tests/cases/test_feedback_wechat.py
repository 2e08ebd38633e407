"""Staff replies and results reach the resident on WeChat (through app.wechat.delivery), end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.cases import service
from app.cases.models import Case
from app.emulator.server import create_emulator_app
from app.wechat import client as wechat_client
from tests.cases.conftest import build_team
from tests.wechat.helpers import PLAIN, SAFE, sim


@pytest.fixture
async def emu(app: Any, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    emulator_app = create_emulator_app(settings)
    wechat_client.use_transport(httpx.ASGITransport(app=emulator_app))
    ctl = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator_app), base_url="http://emu")
    yield ctl
    await ctl.aclose()
    wechat_client.use_transport(None)


async def _custom_texts(ctl: httpx.AsyncClient, key: str) -> list[str]:
    items = (await ctl.get("/_control/sent", params={"kind": "custom", "account_key": key})).json()
    return [i["text"]["content"] for i in items if i.get("msgtype") == "text"]


async def test_reply_and_result_sent_inside_the_window(client: httpx.AsyncClient, emu: httpx.AsyncClient,
                                                       drain_jobs: Any) -> None:
    team = await build_team()
    await emu.post("/_control/interactions", json={"account_key": SAFE, "openid": "o_case1", "kind": "message"})
    await sim(client, SAFE).text("o_case1", "ZZT-echo 我想找人调解邻里纠纷")  # a real callback opens the window
    case = await service.open_case(type="mediation", resident_id=None, channel="wechat", summary="邻里纠纷",
                                   community_code="JXSQ", account_key=SAFE, openid="o_case1")
    msg = await service.reply(actor=team.lawyer, case_id=case.id, text="您好，我是锦绣社区法律顾问，明天上午联系您。")
    assert msg.delivery == "sent"
    case = await Case.get(id=case.id)
    assert case.first_response_at == msg.at and case.owner_id == team.lawyer.id
    await service.give_result(actor=team.lawyer, case_id=case.id, text="双方已达成调解协议。")
    await drain_jobs()
    case = await Case.get(id=case.id)
    # the survey domain (app.surveys) invited the resident once the result was delivered
    assert case.result_delivery == "sent" and case.survey_status == "sent"
    texts = await _custom_texts(emu, SAFE)
    assert texts[-3] == "您好，我是锦绣社区法律顾问，明天上午联系您。"
    assert case.number in texts[-2] and "双方已达成调解协议" in texts[-2]
    assert case.number in texts[-1] and "非常满意" in texts[-1]


async def test_result_queued_without_window_reaches_the_resident_next_time(client: httpx.AsyncClient,
                                                                         emu: httpx.AsyncClient,
                                                                         drain_jobs: Any) -> None:
    team = await build_team()
    case = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                   township_code="YXJD", account_key=PLAIN, openid="o_case2")
    msg = await service.reply(actor=team.clerk, case_id=case.id, text="已收到您的问题")
    assert msg.delivery == "queued"
    assert (await Case.get(id=case.id)).first_response_at is None  # not yet with the resident
    await service.give_result(actor=team.clerk, case_id=case.id, text="建议向劳动仲裁委申请仲裁。")
    await drain_jobs()
    assert (await Case.get(id=case.id)).result_delivery == "queued"
    res = await sim(client, PLAIN).text("o_case2", "ZZT-echo 在吗")
    assert "已收到您的问题" in res.text and "建议向劳动仲裁委申请仲裁" in res.text


async def test_survey_invitation_enqueued_once_a_handler_exists(demo_org: None, drain_jobs: Any) -> None:
    from app.jobs import service as jobs
    from app.jobs.models import Job

    seen: list[int] = []
    real = jobs.handlers().get("surveys.invite")

    @jobs.register("surveys.invite")
    async def _invite(payload: dict[str, Any]) -> None:
        seen.append(payload["case_id"])

    try:
        team = await build_team()
        case = await service.open_case(type="consultation", resident_id=None, channel="walk_in", summary="咨询",
                                       township_code="YXJD", actor=team.clerk)
        await service.give_result(actor=team.clerk, case_id=case.id, text="已当面解答")
        await drain_jobs()
        assert (await Case.get(id=case.id)).survey_status == "enqueued"
        assert seen == [case.id]
        assert await Job.filter(name="surveys.invite").count() == 1
    finally:
        jobs._handlers.pop("surveys.invite", None)
        if real is not None:  # the survey domain's own handler, for the tests after this one
            jobs.register("surveys.invite")(real)


async def test_first_response_is_the_first_staff_message_that_reaches_the_resident(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    """首次响应, one definition: queued reply → set when it goes out (passive reply); a note never counts;
    a reply sent inside the window → set at send time."""
    from app.wechat.models import PendingDelivery

    team = await build_team()
    for openid, key in (("o_first1", PLAIN), ("o_first2", SAFE)):  # followers known to the emulator
        await emu.post("/_control/interactions", json={"account_key": key, "openid": openid, "kind": "message"})
    case = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="欠薪咨询",
                                   township_code="YXJD", account_key=PLAIN, openid="o_first1")
    await service.add_note(actor=team.clerk, case_id=case.id, text="内部备注：先查档案")
    msg = await service.reply(actor=team.clerk, case_id=case.id, text="您好，已收到，请补充合同照片。")
    assert msg.delivery == "queued"  # the window is closed
    await drain_jobs()
    assert (await Case.get(id=case.id)).first_response_at is None  # neither the note nor the queued reply
    res = await sim(client, PLAIN).text("o_first1", "ZZT-echo 在吗")  # the resident writes again
    assert "请补充合同照片" in res.text and "回声：在吗" in res.text
    await drain_jobs()
    pending = await PendingDelivery.get(openid="o_first1")
    assert pending.delivered_via == "passive" and pending.delivered_at is not None
    first = (await Case.get(id=case.id)).first_response_at
    assert first == pending.delivered_at and first > msg.at
    await service.reply(actor=team.clerk, case_id=case.id, text="收到照片了。")  # sent now: the first stays
    await drain_jobs()
    assert (await Case.get(id=case.id)).first_response_at == first

    # the window open: the reply goes out at once and is the first response at send time
    await sim(client, SAFE).text("o_first2", "ZZT-echo 你好")
    case2 = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                    community_code="JXSQ", account_key=SAFE, openid="o_first2")
    await service.add_note(actor=team.lawyer, case_id=case2.id, text="备注不算答复")
    assert (await Case.get(id=case2.id)).first_response_at is None
    msg2 = await service.reply(actor=team.lawyer, case_id=case2.id, text="您好，我是法律顾问。")
    assert msg2.delivery == "sent"
    assert (await Case.get(id=case2.id)).first_response_at == msg2.at


async def test_queued_reply_flushed_as_custom_message_sets_first_response(
        client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any) -> None:
    """The other way out: the resident's next interaction gets news, the waiting reply follows as a
    customer-service message (wechat.flush_pending) and that moment is the first response."""
    from app.wechat.models import PendingDelivery

    team = await build_team()
    await emu.post("/_control/interactions", json={"account_key": PLAIN, "openid": "o_first3", "kind": "message"})
    case = await service.open_case(type="consultation", resident_id=None, channel="wechat", summary="咨询",
                                   township_code="YXJD", account_key=PLAIN, openid="o_first3")
    assert (await service.reply(actor=team.clerk, case_id=case.id, text="请带身份证来窗口。")).delivery == "queued"
    await sim(client, PLAIN).text("o_first3", "ZZT-news")
    await drain_jobs()
    pending = await PendingDelivery.get(openid="o_first3")
    assert pending.delivered_via == "custom"
    assert "请带身份证来窗口。" in await _custom_texts(emu, PLAIN)
    assert (await Case.get(id=case.id)).first_response_at == pending.delivered_at
