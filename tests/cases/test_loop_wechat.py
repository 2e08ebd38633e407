"""The front desk's loop through the real callback (simulator → /wechat/{key}): the hand-over's case
says what the matter is, a second request joins it, what the resident says later reaches the clerk,
"查进度" answers, danger still goes through the safety gate first, and a new question stays possible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.cases.models import Case, CaseEvent, CaseMessage, CaseNotice
from tests.cases.conftest import build_team
from tests.consult.conftest import FIXTURE_KB
from tests.wechat.helpers import PLAIN, sim

CASE_NO = re.compile(r"编号 ([A-Z]+\d{8}-\d+)")


@pytest.fixture(autouse=True)
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    engine.get_engine()  # built now, not inside the first callback's time budget
    yield
    engine.use_folder(None)


async def _cases(openid: str) -> list[Case]:
    return await Case.filter(openid=openid).order_by("id")


async def test_handover_case_takes_the_matter_not_the_words_asking_for_a_person(client: httpx.AsyncClient) -> None:
    s = sim(client, PLAIN)
    await s.text("o_loop1", "包工头跑了，欠我们两个月工钱")
    reply = (await s.text("o_loop1", "我想找个真人问问")).text or ""
    assert CASE_NO.search(reply), reply
    [case] = await _cases("o_loop1")
    assert case.category == "labor" and "包工头跑了" in case.summary and "真人" not in case.summary
    again = (await s.text("o_loop1", "转人工")).text or ""  # a second request joins the open case
    assert case.number in again and "正在办理中" in again
    assert len(await _cases("o_loop1")) == 1
    assert await CaseEvent.filter(case_id=case.id, action="handover_again").count() == 1


async def test_replies_join_the_open_case_and_the_bot_only_acknowledges(client: httpx.AsyncClient) -> None:
    team = await build_team()
    s = sim(client, PLAIN)
    await s.text("o_loop2", "公司拖欠工资三个月不发怎么办")
    await s.text("o_loop2", "转人工")
    [case] = await _cases("o_loop2")
    from app.cases import service

    await service.take(actor=team.clerk, case_id=case.id)
    await service.return_for_info(actor=team.clerk, case_id=case.id, reason="请提供劳动合同或工资条照片")
    assert (await Case.get(id=case.id)).paused
    reply = (await s.text("o_loop2", "我补充一下：我有劳动合同")).text or ""
    assert "已转给正在为您办理的工作人员" in reply and case.number in reply
    case = await Case.get(id=case.id)
    assert case.status == "in_progress" and not case.paused and case.deadline_at is not None  # clock resumed
    texts = [m.text for m in await CaseMessage.filter(case_id=case.id, role="resident")]
    assert "我补充一下：我有劳动合同" in texts
    assert await CaseNotice.filter(case_id=case.id, staff_id=team.clerk.id, kind="message").exists()  # clerk told
    # a new, unrelated question: the consultation answers it, the case is left alone
    fresh = (await s.text("o_loop2", "新问题 离婚孩子归谁")).text or ""
    assert "已转给正在为您办理" not in fresh and fresh
    assert "离婚孩子归谁" not in [m.text for m in await CaseMessage.filter(case_id=case.id)]
    progress = (await s.text("o_loop2", "查进度")).text or ""
    assert case.number in progress and "办理中" in progress


async def test_danger_goes_through_the_safety_gate_first_and_makes_the_case_urgent(client: httpx.AsyncClient) -> None:
    team = await build_team()
    s = sim(client, PLAIN)
    await s.text("o_loop3", "离婚了孩子抚养费他不给")
    await s.text("o_loop3", "转人工")
    [case] = await _cases("o_loop3")
    assert not case.urgent
    reply = (await s.text("o_loop3", "他又来了拿刀说要杀了我")).text or ""
    assert reply.startswith("【紧急提示】") and "110" in reply
    [case] = await _cases("o_loop3")  # still one case, now urgent with the shorter deadline
    assert case.urgent and case.time_limit == "4h"
    assert await CaseNotice.filter(case_id=case.id, kind="urgent", staff_id=team.clerk.id).exists()


async def test_progress_hook_for_the_consultation(client: httpx.AsyncClient) -> None:
    """consult.progress_requested (the consultation's "查进度" intent) answers from the cases."""
    from app.core import events

    s = sim(client, PLAIN)
    await s.text("o_loop4", "公司拖欠工资三个月不发怎么办")
    await s.text("o_loop4", "转人工")
    [case] = await _cases("o_loop4")
    [answer] = [a for a in await events.publish("consult.progress_requested", resident_id=case.resident_id,
                                                 account_key=PLAIN, openid="o_loop4") if a]
    assert answer["cases"][0]["number"] == case.number and case.number in answer["reply"]
