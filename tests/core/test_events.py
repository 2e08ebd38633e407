"""Named events between domains (app.core.events, subscriptions in app.wiring): through the real entry
points, each subscriber of each event runs exactly once, and the publisher sees their answers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app import wiring
from app.boards import service as boards_service
from app.cases.models import Case, CaseEvent
from app.consult.engine import warm_up
from app.consult.models import Consultation
from app.core import events
from app.residents import service as residents_service
from app.residents.models import ResidentAccount
from app.wechat.models import InboundMessage
from tests.wechat.helpers import PLAIN, sim

QUESTION = "老板拖欠工资三个月不给，我电话13912345678，转人工"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every wired subscriber wrapped to count its runs (the real one still runs): "event:module:fn" → n."""
    wiring.wire_events()
    seen: Counter[str] = Counter()
    for name, target in wiring.SUBSCRIPTIONS:
        real = next(fn for fn in events.subscribers(name) if f"{fn.__module__}:{fn.__name__}" == target)

        def counting(real: Any = real, key: str = f"{name}:{target}") -> Any:
            async def spy(**payload: Any) -> Any:
                seen[key] += 1
                return await real(**payload)
            return spy

        subs = events._subscribers[name]
        monkeypatch.setitem(events._subscribers, name, [counting() if fn is real else fn for fn in subs])
    yield seen


def _ran_once(calls: Counter[str], event: str) -> None:
    targets = [f"{event}:{t}" for n, t in wiring.SUBSCRIPTIONS if n == event]
    assert targets, f"nobody subscribes to {event}"
    assert {t: calls[t] for t in targets} == dict.fromkeys(targets, 1)


async def _handed_over(client: httpx.AsyncClient, openid: str) -> ResidentAccount:
    """The resident asks for a person on WeChat; waits for the answer (it may go out after the budget)."""
    await asyncio.to_thread(warm_up)  # as at start-up: the engine loads in a thread
    res = await sim(client, PLAIN).text(openid, QUESTION)
    assert res.status == 200
    for _ in range(200):
        row = await InboundMessage.filter(openid=openid, kind="text").first()
        if row is not None and row.reply_text:
            assert "编号" in row.reply_text
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("no answer to the hand-over")
    return await ResidentAccount.get(account_key=PLAIN, openid=openid)


async def test_hand_over_opens_one_case_through_the_event(client: httpx.AsyncClient, calls: Counter[str]) -> None:
    link = await _handed_over(client, "o_ev_handover")
    _ran_once(calls, "consult.handed_over")
    case = await Case.get(resident_id=link.resident_id)
    assert case.source == "bot_handoff" and case.number in (await InboundMessage.filter(
        openid="o_ev_handover").order_by("-id").first()).reply_text  # type: ignore[union-attr,operator]


async def test_hand_over_without_a_subscriber_points_to_the_hotline(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.consult import service as consult_service
    from app.core import metrics

    monkeypatch.setitem(events._subscribers, "consult.handed_over", [])
    before = metrics.errors_swallowed.labels("consult.hand_over")._value.get()
    h = await consult_service.hand_over(text="要人工", category="labor", resident_id=None)
    assert h.case_id is None and "12348" in h.reply
    assert metrics.errors_swallowed.labels("consult.hand_over")._value.get() == before + 1


async def test_erasure_reaches_every_domain_once(client: httpx.AsyncClient, calls: Counter[str]) -> None:
    link = await _handed_over(client, "o_ev_erase")
    rid = link.resident_id
    res = await residents_service.erase_resident(resident_id=rid, reason="居民申请删除")
    _ran_once(calls, "residents.erased")
    assert res["cases"] == 1 and res["messages"] >= 2
    case = await Case.get(resident_id=rid)
    assert await CaseEvent.filter(case_id=case.id, action="resident_erased").count() == 1
    assert not await Consultation.filter(question__contains="13912345678").exists()
    assert not await InboundMessage.filter(text__contains="13912345678").exists()


async def test_export_gathers_every_domain_once(client: httpx.AsyncClient, calls: Counter[str]) -> None:
    link = await _handed_over(client, "o_ev_export")
    data = await residents_service.export_resident(resident_id=link.resident_id)
    _ran_once(calls, "residents.export_requested")
    assert data["cases"][0]["summary"].endswith(QUESTION)
    assert data["consultations"][0]["question"] == QUESTION
    assert any(m["text"] == QUESTION for m in data["wechat"][0]["messages"])


async def test_retention_reaches_every_domain_once(client: httpx.AsyncClient, calls: Counter[str]) -> None:
    assert await residents_service.purge_chat_logs() == 0
    _ran_once(calls, "residents.retention_due")


async def test_scan_analytics_asks_every_counter_once(client: httpx.AsyncClient, calls: Counter[str]) -> None:
    rows = await boards_service.scan_stats()
    _ran_once(calls, "boards.followups_requested")
    board = next(r for r in rows if r.level == "board")
    assert board.consulted == 0 and board.cases == 0 and board.booked == 0


async def test_a_result_reaches_its_channel_once(client: httpx.AsyncClient, calls: Counter[str]) -> None:
    from app.cases import service as cases_service
    from tests.cases.conftest import build_team
    from tests.factories import make_case

    team = await build_team()
    case = await make_case(channel="miniprogram")
    await cases_service.take(actor=team.clerk, case_id=case.id)
    await cases_service.give_result(actor=team.clerk, case_id=case.id, text="已办结")
    _ran_once(calls, "cases.result_given")


async def test_publishing_before_wiring_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_wired", False)
    with pytest.raises(events.NotWired, match="wire_events"):
        await events.publish("residents.erased", resident_id=1)
