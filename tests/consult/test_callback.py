"""Consultation dialogues through the real callback (POST /wechat/{key}): clarify → answer → hand-over,
danger in a voice message, with the case opened for staff and the conversation attached."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from tests.consult.conftest import FIXTURE_KB

ACCOUNT = "yx_jiedao"
CASE_NO = re.compile(r"编号 [A-Z]+\d{8}-\d+")


def sim(client: httpx.AsyncClient) -> CallbackSimulator:
    return CallbackSimulator(get_matrix().get(ACCOUNT), base_url=str(client.base_url).rstrip("/"), client=client)


@pytest.fixture(autouse=True)
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    yield
    engine.use_folder(None)


async def _cases_of(openid: str) -> list[Any]:
    from app.cases import service as cases_service
    from app.residents import service as residents_service

    link = await residents_service.ensure_identity(account_key=ACCOUNT, openid=openid)
    return await cases_service.open_cases_for_resident(resident_id=link.resident_id)


async def test_clarify_answer_then_handoff_after_two_complaints(client: httpx.AsyncClient) -> None:
    from app.cases.models import CaseMessage

    s = sim(client)
    first = (await s.text("o_c1", "有个事情想问问")).text or ""
    assert "回复数字：1 " in first
    number = first.split("回复数字：")[1].split()
    labour = number[number.index("劳动工资") - 1]
    answer = (await s.text("o_c1", labour)).text or ""
    assert "12348" in answer and "下一步" in answer
    assert "换个说法" in ((await s.text("o_c1", "没用")).text or "")
    last = (await s.text("o_c1", "不对")).text or ""
    assert CASE_NO.search(last)
    cases = await _cases_of("o_c1")
    assert len(cases) == 1
    case = cases[0]
    assert case.type == "consultation" and case.category == "labor" and not case.urgent
    texts = [m.text for m in await CaseMessage.filter(case_id=case.id).order_by("id")]
    assert "有个事情想问问" in texts and "没用" in texts


async def test_voice_message_about_danger_opens_an_urgent_case(client: httpx.AsyncClient) -> None:
    reply = (await sim(client).voice("o_c2", "嗯那个我男人又喝醉了拿刀说要杀了我")).text or ""
    assert reply.startswith("【紧急提示】") and "110" in reply and "12338" in reply
    assert CASE_NO.search(reply)
    cases = await _cases_of("o_c2")
    assert cases and cases[0].urgent


async def test_handoff_key_and_legal_aid_type(client: httpx.AsyncClient) -> None:
    s = sim(client)
    await s.text("o_c3", "请不起律师怎么办")
    reply = (await s.text("o_c3", "转人工")).text or ""
    assert CASE_NO.search(reply)
    cases = await _cases_of("o_c3")
    assert cases[0].type == "legal_aid"
    menu = (await s.event("o_c4", "CLICK", "consult:handoff")).text or ""
    assert CASE_NO.search(menu)


async def test_law_lookup_without_corpus_falls_back_to_consultation(client: httpx.AsyncClient) -> None:
    reply = (await sim(client).text("o_c5", "劳动合同法第八十二条")).text or ""
    assert reply  # no corpus imported in this test: the consultation answers instead
