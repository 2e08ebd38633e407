"""Intents before retrieval: each gets a short fitting reply and never a statute; a person in any
words hands over; the advisor card; the progress hook; through the service and the callback."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import httpx
import pytest

from app.consult.intents import detect_intent
from tests.conftest import ROOT

DEV = tomllib.loads((ROOT / "tests" / "consult" / "dev" / "intents.toml").read_text(encoding="utf-8"))
CASES = [(t, name) for name, texts in DEV.items() for t in texts]


@pytest.mark.parametrize("text,name", CASES)
def test_dev_intents(text: str, name: str) -> None:
    got = detect_intent(text)
    assert got is not None and got.name == name


@pytest.mark.parametrize("text", ["老板拖欠工资怎么办", "请个律师要多少钱", "你好，我有个事情想问问",
                                  "饭店吃饭食物中毒怎么赔", "孩子偷偷给游戏充了两万", "需要个人信息吗",
                                  "他偷偷把存款转给他妈了 要离婚了"])
def test_legal_questions_are_not_intents(text: str) -> None:
    assert detect_intent(text) is None


@pytest.mark.parametrize("text", ["附近哪家火锅好吃", "帮我写一份年终工作总结", "谢谢，我周一过去", "好的", "傻逼"])
async def test_no_statute_for_an_intent(fixture_kb: Any, text: str) -> None:
    from app.consult import service

    a = await service.ask(text, record=False)
    assert a.intent and not a.answers and "法律依据" not in a.reply and "《" not in a.reply
    assert len(a.reply) <= 120


async def test_progress_asks_the_front_desk_for_the_residents_cases(fixture_kb: Any, demo_org: Any) -> None:
    """"查进度" goes through the event the front desk answers (cases.subscribers.progress_of)."""
    from app.consult import service
    from tests.factories import make_case, make_resident

    resident = await make_resident()
    case = await make_case(resident_id=resident.id)
    a = await service.ask("查进度", record=False, resident_id=resident.id)
    assert a.intent == "progress" and case.number in a.reply, a.reply
    a = await service.ask("我的事项办得怎么样了", record=False, resident_id=resident.id + 1000)
    assert a.intent == "progress" and case.number not in a.reply


async def test_a_person_in_any_words_and_the_advisor_through_the_callback(client: httpx.AsyncClient) -> None:
    from app.emulator.simulator import CallbackSimulator
    from app.matrix.service import get_matrix
    from app.org.models import Advisor, Board

    s = CallbackSimulator(get_matrix().get("yx_jiedao"), base_url=str(client.base_url).rstrip("/"), client=client)
    reply = (await s.text("o_int1", "我想找个真人问问")).text or ""
    assert re.search(r"编号 [A-Z]+\d{8}-\d+", reply)
    board = await Board.all().prefetch_related("community").first()
    assert board is not None
    advisor = await Advisor.filter(community_id=board.community_id, active=True).order_by("code").first()
    await s.event("o_int2", "SCAN", f"board:{board.code}", Ticket="t")
    card = (await s.text("o_int2", "顾问")).text or ""
    if advisor is not None:
        assert advisor.name in card and advisor.phone in card
    assert "《" not in card
    hello = (await s.text("o_int3", "你好")).text or ""
    assert "转人工" in hello and "《" not in hello


def test_a_long_question_that_asks_for_a_person_hands_over() -> None:
    got = detect_intent("老板拖欠工资三个月不给，我电话13912345678，转人工")
    assert got is not None and got.name == "handoff"
    assert detect_intent("老板拖欠工资三个月不给，能不能找律师打官司，要多少钱") is None


def _corpus(name: str) -> list[tuple[str, str]]:
    from app.consult.text import DATA_DIR

    rows = []
    for raw in (DATA_DIR / f"intent_{name}.txt").read_text(encoding="utf-8").splitlines():
        if raw and not raw.startswith("#"):
            intent, text = raw.split("\t", 1)
            rows.append((intent, text))
    return rows


def test_the_intent_corpus_is_split_and_regenerated() -> None:
    from app.consult import intents
    from tests.consult import intent_corpus

    train, dev = _corpus("train"), _corpus("dev")
    assert len(train) >= 1000 and len(dev) >= 200
    assert not {t for _, t in train} & {t for _, t in dev}
    assert "intent_dev.txt" not in intents.TRAINING_FILES
    assert intent_corpus.build() == {"train": train, "dev": dev}


def test_held_out_intents() -> None:
    """Wordings the model never saw (whole seeds held out): a floor under the 92.6 % measured at hand-in (legal lookalikes 39/46)."""
    from app.consult.intents import IntentModel
    from app.consult.kb import load_kb

    model = IntentModel(sorted({t for e in load_kb(ROOT / "content" / "kb").entries for t in (e.question, *e.asks)}))
    dev = _corpus("dev")
    right = sum((getattr(detect_intent(t, model), "name", None) or "legal") == want for want, t in dev)
    assert right / len(dev) >= 0.91, f"held-out intents {right / len(dev):.1%}"
    legal = [t for want, t in dev if want == "legal"]
    assert sum(detect_intent(t, model) is None for t in legal) / len(legal) >= 0.82


async def test_the_issues_intents_through_the_callback(client: httpx.AsyncClient) -> None:
    """The issue's messages as a resident sends them: short fitting replies, never a statute."""
    from app.consult.intents import REPLIES
    from app.emulator.simulator import CallbackSimulator
    from app.matrix.service import get_matrix

    s = CallbackSimulator(get_matrix().get("yx_jiedao"), base_url=str(client.base_url).rstrip("/"), client=client)
    for i, (text, want) in enumerate([("附近哪家火锅好吃", "non_legal"), ("帮我写一份年终工作总结", "non_legal"),
                                      ("谢谢，我周一过去", "ack"), ("好的", "ack"), ("你个废物", "abuse"),
                                      ("太感谢了", "thanks"), ("您好", "greeting")]):
        reply = (await s.text(f"o_int_c{i}", text)).text or ""
        assert reply == REPLIES[want], text
    person = (await s.text("o_int_p", "能不能让你们的人给我打个电话")).text or ""
    assert re.search(r"编号 [A-Z]+\d{8}-\d+", person) and "《" not in person


async def test_progress_for_an_unknown_asker_needs_no_database(fixture_kb: Any, caplog: Any) -> None:
    """Issue 25 §4: `python -m tests.consult.evaluate` (no database, no resident) printed a traceback
    for "查进度"; an unknown asker gets the generic reply without asking the front desk."""
    from app import wiring
    from app.consult import service

    wiring.wire_events()  # as the evaluation does; there is no database in this test
    a = await service.ask("查进度", record=False)
    assert a.intent == "progress" and a.reply == service.REPLIES["progress"]
    assert not [r for r in caplog.records if r.exc_info], "the front desk was asked without a database"


@pytest.mark.parametrize("text", ["想复印我妈的住院病历 医院不给", "娃才一岁半 离婚的话孩子能跟我吗 我是当妈的",
                                  "爸妈的承包地能继承吗", "楼上老往下扔垃圾", "翻盖老房子要批吗", "客服让私下转账",
                                  "被骗后公安立案了，还需要律师吗", "旅游被导游强迫购物", "我去举报后被打击报复了"])
def test_words_that_also_name_things_are_no_intent(text: str) -> None:
    """Session 4: 妈的 inside 我妈的/当妈的, 垃圾 as rubbish, 要批吗, 客服 as the shop's staff, asking whether a
    lawyer is needed: legal questions, not abuse, progress or a request for a person."""
    assert detect_intent(text) is None


@pytest.mark.parametrize(("text", "name"), [("你个垃圾", "abuse"), ("他妈的 什么破机器", "abuse"),
                                            ("垃圾", "abuse"), ("批下来了没", "progress"), ("我要找客服", "handoff")])
def test_the_same_words_aimed_at_us_still_are(text: str, name: str) -> None:
    intent = detect_intent(text)
    assert intent is not None and intent.name == name
