"""Multi-turn dialogues through the inbound router: clarify → answer, dissatisfaction → hand-over,
safety first, "转人工" and the menu key; hot topics from the consultation log."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.wechat.router import DialogueState, Inbound, TextReply, router

HAS_CASES = importlib.util.find_spec("app.cases.service") is not None
needs_cases = pytest.mark.skipif(not HAS_CASES, reason="app.cases.service (open_case) not written yet")


class Resident:
    """One resident talking to the router; the dialogue state is kept between turns like the engine does."""

    def __init__(self, openid: str = "o-consult", board_code: str | None = None) -> None:
        self.openid = openid
        self.board_code = board_code
        self.state = DialogueState()

    async def say(self, text: str, kind: str = "text") -> str:
        inbound = Inbound(account_key="demo", openid=self.openid, kind=kind, text=text, board_code=self.board_code,
                          state=self.state)
        reply = await router.dispatch(inbound)
        assert isinstance(reply, TextReply), reply
        return reply.content

    async def click(self, key: str) -> str:
        inbound = Inbound(account_key="demo", openid=self.openid, kind="event", event="click", event_key=key,
                          state=self.state)
        reply = await router.dispatch(inbound)
        assert isinstance(reply, TextReply), reply
        return reply.content


@pytest.fixture
def handlers(fixture_kb: Path) -> None:
    from app import wiring

    wiring.load_inbound()


async def test_clarify_then_choice_then_answer(db: None, handlers: None) -> None:
    from app.consult.models import Consultation

    r = Resident()
    first = await r.say("我有个事想问问")
    assert "回复数字：1 " in first
    assert r.state.name == "consult:clarify"
    codes = r.state.data["codes"]
    n = codes.index("labor") + 1
    second = await r.say(str(n))
    assert "【" in second and "12348" in second
    assert r.state.name == "consult:answered"
    rows = await Consultation.all().order_by("id")
    assert [row.category for row in rows][-1] == "labor"
    assert rows[0].clarified


async def test_voice_recognition_is_answered(db: None, handlers: None) -> None:
    r = Resident()
    out = await r.say("嗯那个就是说我那个被车撞了然后对方那个不赔钱", kind="voice")
    assert "交通事故" in out


async def test_a_plain_question_gets_answer_and_next_step(db: None, handlers: None) -> None:
    out = await Resident().say("包工头跑了工钱找谁要")
    assert "下一步" in out and "12348" in out
    assert "农民工" in out or "劳动" in out


async def test_advisor_of_the_community_is_named(demo_org: None, handlers: None) -> None:
    from app.org.models import Advisor, Board

    board = await Board.all().prefetch_related("community").first()
    assert board is not None
    advisor = await Advisor.filter(community_id=board.community_id, active=True).order_by("code").first()
    out = await Resident(board_code=board.code).say("拖欠工资三个月了怎么办")
    if advisor is not None:
        assert advisor.name in out and advisor.phone in out


async def test_dissatisfaction_once_then_twice(db: None, handlers: None) -> None:
    r = Resident()
    await r.say("老板拖欠工资不给")
    first = await r.say("没用")
    assert "换个说法" in first and r.state.data["unhappy"] == 1
    second = await r.say("听不懂")
    assert "抱歉没能帮到您" in second
    if HAS_CASES:
        assert "编号" in second
    else:
        assert "12348" in second


async def test_danger_comes_first_even_inside_a_dialogue(db: None, handlers: None) -> None:
    r = Resident()
    await r.say("我有个事想问问")
    out = await r.say("他又打我了 我不想活了")
    assert out.startswith("【紧急提示】") and "110" in out and "12356" in out


async def test_menu_handoff_and_prompt(db: None, handlers: None) -> None:
    r = Resident()
    assert "请直接输入" in await r.click("consult:ask")
    out = await r.click("consult:handoff")
    assert ("编号" in out) if HAS_CASES else ("12348" in out)


async def test_off_hours_message_names_the_next_opening(settings: Any) -> None:
    from app.consult.hours import is_staff_time, when_text

    spec = "mon-fri 08:30-12:00,14:00-17:30"
    saturday_noon = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 12:00 Beijing, a Saturday
    monday_ten = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert not is_staff_time(spec, saturday_noon) and is_staff_time(spec, monday_ten)
    text = when_text(spec, saturday_noon)
    assert "非工作时间" in text and "08:30" in text and "12348" in text


async def test_hot_topics_by_category_township_and_week(demo_org: None, fixture_kb: Path) -> None:
    from app.consult import service
    from app.core import clock
    from app.core.scope import OrgScope
    from app.org import service as org_service

    tree = await org_service.tree()
    community = next(u for u in tree.values() if u.kind == "community")
    other = next(u for u in tree.values() if u.kind == "community" and u.township_code != community.township_code)
    clock.freeze(datetime(2026, 11, 18, 2, 0, tzinfo=UTC))
    try:
        for q in ("拖欠工资怎么办", "老板不给工钱", "想离婚"):
            await service.ask(q, community_code=community.code)
        await service.ask("拖欠工资", community_code=other.code)
        rows = await service.hot_topics(scope=OrgScope.everything(), weeks=8)
        assert {"category": "labor", "category_name": "劳动工资与工伤", "township": community.township_code,
                "week": "2026-11-16", "count": 2} in rows
        scoped = await service.hot_topics(scope=await org_service.scope_for([community.township_code]), weeks=8)
        assert sum(r["count"] for r in scoped) == 3
        assert all(r["township"] == community.township_code for r in scoped)
    finally:
        clock.freeze(None)


async def test_ask_api(client: Any) -> None:
    from app.consult import engine
    from tests.consult.conftest import FIXTURE_KB

    engine.use_folder(FIXTURE_KB)
    try:
        r = await client.post("/api/consult/ask", json={"text": "拖欠工姿怎么办"})
        assert r.status_code == 200
        body = r.json()
        assert body["category"] == "labor" and body["answers"][0]["id"] == "labor-unpaid-wages"
        assert body["handoff"] is False and "12348" in body["reply"]
        r = await client.post("/api/consult/ask", json={"text": ""})
        assert r.status_code == 400
        r = await client.get("/api/consult/hot-topics")
        assert r.status_code == 401  # staff only
        from tests.console.conftest import login
        from tests.factories import make_staff

        await make_staff(username="admin2", unit_codes=["YX"])
        await login(client, "admin2")
        r = await client.get("/api/consult/hot-topics")
        assert r.status_code == 200 and r.json()["rows"][0]["category"] == "labor"
    finally:
        engine.use_folder(None)


async def test_reply_with_a_number_to_read_a_related_question(db: None, handlers: None) -> None:
    r = Resident()
    first = await r.say("老板拖欠工资不给")
    assert "相关问题：回复 1 看「" in first
    title = first.split("回复 1 看「")[1].split("」")[0]
    second = await r.say("1")
    assert second.startswith(f"【{title}】") and "12348" in second
