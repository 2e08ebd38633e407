"""WeChat's retries: recognised durably, answered with the stored reply, no side effect twice."""

from __future__ import annotations

import asyncio

import pytest

from app.residents.models import ResidentAccount
from app.wechat.models import InboundMessage
from tests.wechat.helpers import CALLS, PLAIN, SAFE, sim


@pytest.mark.parametrize("key", [PLAIN, SAFE])
async def test_retry_gets_stored_reply_without_rerunning(client, key) -> None:
    s = sim(client, key)
    openid = f"o_retry_{key}"
    xml = s.text_xml(openid, "ZZT-echo 一次")
    first = await s.post(xml)
    second = await s.post(xml)  # re-signed with a new nonce, like a retry
    assert first.text == second.text == "回声：一次"
    assert CALLS[f"echo:{openid}"] == 1
    assert await InboundMessage.filter(account_key=key, openid=openid).count() == 1


async def test_same_msgid_on_another_account_is_not_a_duplicate(client) -> None:
    a, b = sim(client, PLAIN), sim(client, SAFE)
    r1 = await a.post(a.text_xml("o_two", "ZZT-echo a", msg_id=4242))
    r2 = await b.post(b.text_xml("o_two", "ZZT-echo b", msg_id=4242))
    assert (r1.text, r2.text) == ("回声：a", "回声：b")


async def test_event_retry_is_a_duplicate(client) -> None:
    s = sim(client, PLAIN)
    xml = s.event_xml("o_evdup", "subscribe", create_time=1700000123)
    r1 = await s.post(xml)
    r2 = await s.post(xml)
    assert r1.text and r1.text == r2.text
    assert await InboundMessage.filter(openid="o_evdup").count() == 1
    # the same event at another second is a new event
    await s.post(s.event_xml("o_evdup", "subscribe", create_time=1700000999))
    assert await InboundMessage.filter(openid="o_evdup").count() == 2


async def test_concurrent_retries_run_the_handler_once(client) -> None:
    s = sim(client, SAFE)
    openid = "o_race"
    xml = s.text_xml(openid, "ZZT-slow 0.3 并发")
    results = await asyncio.gather(*(s.post(xml) for _ in range(5)))
    assert CALLS[f"slow:{openid}"] == 1
    assert all(r.status == 200 for r in results)
    assert {r.text for r in results} == {"慢答复：并发"}  # the waiting retries got the stored reply
    assert await InboundMessage.filter(openid=openid).count() == 1
    assert await ResidentAccount.filter(openid=openid).count() == 1


@pytest.mark.mariadb_only
async def test_concurrent_first_contacts_on_mariadb(client) -> None:
    """Many different residents and retries at once on the real database."""
    s = sim(client, PLAIN)
    xmls = [s.text_xml(f"o_m{i}", f"ZZT-echo {i}", msg_id=880000 + i) for i in range(10)]
    results = await asyncio.gather(*(s.post(x) for x in xmls * 3))
    assert all(r.status == 200 for r in results)
    assert await InboundMessage.filter(openid__startswith="o_m").count() == 10
    for i in range(10):
        assert CALLS[f"echo:o_m{i}"] == 1
