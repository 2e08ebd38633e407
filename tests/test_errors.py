"""One error path: a FawuError is rendered for JSON, HTML and WeChat (its Chinese message); "busy" only
for the unexpected; every exception caught on purpose is counted (metrics.caught)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from app.core import metrics, pii
from app.errors import BUSY_ZH, InvalidInput
from app.residents import service as residents_service
from app.wechat.router import Inbound, Reply, router
from tests.wechat.helpers import PLAIN, sim

DOMAIN_MESSAGE = "请先说明您所在的村（社区），再提交申请。"


@router.on_text(r"^ZZT-domain-error$", priority=0)
async def _domain_error(inbound: Inbound) -> Reply | None:
    raise InvalidInput(DOMAIN_MESSAGE)


def _count(where: str) -> float:
    return float(metrics.errors_swallowed.labels(where)._value.get())


async def test_wechat_resident_gets_the_chinese_message_of_a_domain_error(client: httpx.AsyncClient) -> None:
    before = _count("wechat.handler.domain")
    res = await sim(client, PLAIN).text("o_domain_error", "ZZT-domain-error")
    assert res.status == 200 and res.text == DOMAIN_MESSAGE
    assert _count("wechat.handler.domain") == before + 1


async def test_wechat_busy_only_for_the_unexpected(client: httpx.AsyncClient) -> None:
    before = _count("wechat.handler")
    res = await sim(client, PLAIN).text("o_unexpected", "ZZT-boom")
    assert res.status == 200 and res.text == BUSY_ZH
    assert _count("wechat.handler") == before + 1


async def test_json_and_html_render_the_same_domain_error(client: httpx.AsyncClient) -> None:
    j = await client.post("/api/consult/ask", json={"text": "   "})
    assert j.status_code == 422 and j.json()["error"]["code"] == "consult_empty"
    h = await client.get("/s/NO-SUCH-BOARD/go/nothing", headers={"accept": "text/html"})
    assert h.status_code in (404, 400) and "text/html" in h.headers["content-type"]


async def test_a_decrypt_failure_is_counted_and_logged(caplog: pytest.LogCaptureFixture, settings: Any) -> None:
    good = pii.encrypt("13812345678")
    assert residents_service.masked(good, "phone") == "138****5678"
    before = _count("residents.decrypt")
    with caplog.at_level(logging.WARNING, logger="fawu.residents"):
        assert residents_service.masked("not-a-ciphertext", "phone") == "****"
    assert _count("residents.decrypt") == before + 1
    assert any("[residents.decrypt]" in r.getMessage() for r in caplog.records)
