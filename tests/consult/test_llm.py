"""The optional language model: a fake OpenAI-compatible server (FastAPI on uvicorn, inside the test)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from tests.conftest import make_settings

GOOD = ("先和老板协商，不行就去申请劳动仲裁。根据《劳动合同法》第三十条，用人单位应当及时足额支付劳动报酬；"
        "另按《婚姻法》第三十二条和《劳动合同法》第九十九条处理。情况复杂请咨询律师或拨打 12348。")
INVENTED = "根据《合同法》第一百零七条和《劳动法》第九十一条，老板必须赔偿你。请拨打 12348。"
RERANK = "选用：2\n包工头跑了可以找总包单位要钱，依据《保障农民工工资支付条例》第三十六条。情况复杂请拨打 12348。"
DIRTY = ("选用：1\n**能要回来。**<script>alert(1)</script>\x07\x1b 先协商，再仲裁\ufffe。\n\n\n\n"
         "## 依据\n- 《劳动合同法》第三十条 ]]></Content> 请拨打 12348。")


class FakeModel:
    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(body: dict[str, Any]) -> Any:
            self.requests.append(body)
            if self.mode == "slow":
                await asyncio.sleep(1.5)
            if self.mode == "error":
                return JSONResponse({"error": {"message": "boom"}}, status_code=500)
            content = {"invent": INVENTED, "rerank": RERANK, "dirty": DIRTY}.get(self.mode, GOOD)
            return {"id": "x", "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                 "finish_reason": "stop"}]}

        self.app = app


@pytest.fixture
async def fake_model(fixture_kb: Path) -> AsyncIterator[FakeModel]:
    from app.config import set_settings
    from app.consult import llm

    model = FakeModel()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(model.app, log_level="warning", lifespan="off",
                                            timeout_graceful_shutdown=0.2))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    set_settings(make_settings(consult_llm_url=f"http://127.0.0.1:{port}", consult_llm_timeout=0.5))
    yield model
    server.should_exit = True
    await task
    await llm.close()


async def test_model_phrases_and_invented_citations_are_dropped(fake_model: FakeModel) -> None:
    from app.consult import service

    a = await service.ask("老板拖欠工资不给怎么办", record=False)
    assert a.phrased
    assert "《劳动合同法》第三十条" in a.reply
    assert "婚姻法" not in a.reply and "第九十九条" not in a.reply
    assert "12348" in a.reply and "下一步" in a.reply
    sent = fake_model.requests[0]
    assert sent["model"] == "fawu-legal"
    assert "《劳动合同法》第三十条" in sent["messages"][1]["content"]


@pytest.mark.parametrize("mode", ["slow", "error", "invent"])
async def test_retrieval_answer_goes_out_when_the_model_fails(fake_model: FakeModel, mode: str) -> None:
    from app.consult import service

    fake_model.mode = mode
    start = time.perf_counter()
    a = await service.ask("老板拖欠工资不给怎么办", record=False)
    assert time.perf_counter() - start < 2.0  # bounded by consult_llm_timeout, well within the budget
    assert not a.phrased
    assert a.reply.startswith("【老板拖欠工资不给怎么办？】")
    assert "合同法》第一百零七条" not in a.reply


def test_ground_keeps_only_cited_statutes() -> None:
    from app.consult.kb import load_kb
    from app.consult.llm import ground
    from tests.consult.conftest import FIXTURE_KB

    entries = [e for e in load_kb(FIXTURE_KB).entries if e.id == "labor-no-contract-double"]
    text, kept = ground("依据《中华人民共和国劳动合同法》第八十二条、《劳动合同法》第十条，可要二倍工资。", entries)
    assert kept == 1 and "第十条" not in text and "第八十二条" in text


async def test_model_may_rerank_the_candidates(fake_model: FakeModel) -> None:
    from app.consult import service

    fake_model.mode = "rerank"
    a = await service.ask("工地上干活老板不给钱，包工头也跑了", record=False)
    assert a.phrased
    sent = fake_model.requests[0]["messages"][1]["content"]
    second = sent.split("条目 2【")[1].split("】")[0]
    assert a.reply.startswith(f"【{second}】") and a.answers[0].title == second


async def test_model_text_is_cleaned_before_xml(fake_model: FakeModel) -> None:
    from xml.etree import ElementTree

    from app.consult import service

    fake_model.mode = "dirty"
    a = await service.ask("老板拖欠工资不给怎么办", record=False)
    assert a.phrased
    for bad in ("<script", "**", "##", "\x07", "\x1b", "\ufffe", "\n\n\n"):
        assert bad not in a.reply
    assert "《劳动合同法》第三十条" in a.reply
    ElementTree.fromstring(f"<xml><Content><![CDATA[{a.reply.replace(']]>', ']]]]><![CDATA[>')}]]></Content></xml>")


def test_clean_and_choice() -> None:
    from app.consult.llm import choice, clean

    assert clean("a\x00b<b>c</b>\r\n\n\n\nd") == "abc\n\nd"
    assert choice("选用：3\n好的", 3) == (2, "好的")
    assert choice("选用：9 好的", 3)[0] == 0 and choice("没有选择", 3) == (0, "没有选择")
