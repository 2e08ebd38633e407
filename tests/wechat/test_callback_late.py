"""A late finish answers once: passive ("done") and deferred paths exclude each other (raced with events)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.config import set_settings
from app.core.clock import utcnow
from app.jobs.models import Job
from app.wechat import late, service
from app.wechat.models import InboundMessage, PendingDelivery
from app.wechat.router import Inbound, Reply, TextReply, router
from tests.conftest import make_settings
from tests.wechat.helpers import SAFE, sim

# The test in progress sets these; the handler below waits on them.
EVENTS: dict[str, asyncio.Event] = {}
RUNS: dict[str, int] = {}


@router.on_text(r"^ZZT-race ", priority=0)
async def _race(inbound: Inbound) -> Reply | None:
    RUNS[inbound.openid] = RUNS.get(inbound.openid, 0) + 1
    EVENTS["entered"].set()
    await EVENTS["release"].wait()
    return TextReply("答复：" + (inbound.text or "").split()[1])


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> dict[str, asyncio.Event]:
    """Fresh events around the real InboundMessage compare-and-sets: a status named in ``HOLD`` sets
    ``at_<status>`` and waits for ``go_<status>`` before its CAS; ``on_<status>`` is set once one succeeded."""
    EVENTS.clear()
    HOLD.clear()
    names = ("entered", "release", "on_done", "on_answered", "on_delivered", "at_deferred", "go_deferred",
             "at_delivering", "go_delivering", "at_answered", "go_answered")
    EVENTS.update({n: asyncio.Event() for n in names})
    real = service.finish_inbound

    async def observed(**kw: Any) -> bool:
        if kw["status"] in HOLD:
            EVENTS[f"at_{kw['status']}"].set()
            await EVENTS[f"go_{kw['status']}"].wait()
        ok = await real(**kw)
        if ok and f"on_{kw['status']}" in EVENTS:
            EVENTS[f"on_{kw['status']}"].set()
        return ok

    monkeypatch.setattr(service, "finish_inbound", observed)
    return EVENTS


HOLD: set[str] = set()


async def _emulated(emulator: Any, openid: str) -> httpx.AsyncClient:
    ctl = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu")
    await ctl.post("/_control/followers", json={"account_key": SAFE, "openid": openid, "interaction": "message"})
    return ctl


async def _custom_sent(ctl: httpx.AsyncClient, openid: str) -> list[dict]:
    items = (await ctl.get("/_control/sent", params={"kind": "custom", "account_key": SAFE})).json()
    return [i for i in items if i["openid"] == openid]


async def test_handler_done_as_the_budget_runs_out_answers_passively_only(client, emulator, drain_jobs,
                                                                          race) -> None:
    set_settings(make_settings(wechat_reply_budget=0.2))
    openid = "o_race_done"
    ctl = await _emulated(emulator, openid)
    HOLD.add("deferred")

    async def finish_first() -> None:
        await race["at_deferred"].wait()  # the budget ran out and the deferral is about to be stored ...
        race["release"].set()  # ... when the handler finishes
        await race["on_done"].wait()  # and stores "done" first
        race["go_deferred"].set()

    s = sim(client, SAFE)
    xml = s.text_xml(openid, "ZZT-race 甲")
    helper = asyncio.ensure_future(finish_first())
    res = await s.post(xml)
    await helper
    assert res.text == "答复：甲"  # the handler won: its passive reply is the one answer
    assert (await s.post(xml)).text == "答复：甲"  # a retry gets the same passive reply
    row = await InboundMessage.get(openid=openid)
    assert row.status == "done"
    await drain_jobs(now=utcnow() + timedelta(seconds=120))
    assert not await Job.filter(name="wechat.reply_later").exists()
    assert await _custom_sent(ctl, openid) == []  # nothing through the deferred path
    assert not await PendingDelivery.filter(openid=openid).exists()
    assert (await InboundMessage.get(openid=openid)).status == "done" and RUNS[openid] == 1
    await ctl.aclose()


async def test_once_deferred_a_retry_gets_success_and_the_answer_goes_out_once(client, emulator, drain_jobs,
                                                                               race) -> None:
    set_settings(make_settings(wechat_reply_budget=0.2))
    openid = "o_race_late"
    ctl = await _emulated(emulator, openid)
    s = sim(client, SAFE)
    xml = s.text_xml(openid, "ZZT-race 乙")
    assert (await s.post(xml)).is_success  # the handler waits for "release": over budget, deferred
    assert (await InboundMessage.get(openid=openid)).status == "deferred"

    HOLD.add("delivering")
    race["release"].set()  # the handler finishes late ...
    await race["on_answered"].wait()
    await race["at_delivering"].wait()  # ... and its answer is about to go out when the retry arrives
    retry = await s.post(xml)
    assert retry.is_success and retry.text is None  # never the passive reply of a deferred message
    # the safety job runs at the same moment: both reach the answered → delivering compare-and-set
    drained = asyncio.ensure_future(drain_jobs(now=utcnow() + timedelta(seconds=120)))
    while not await Job.filter(name="wechat.reply_later", status__in=["running", "done"]).exists():
        await asyncio.sleep(0.01)
    race["go_delivering"].set()
    await drained
    await asyncio.gather(*late._background)
    assert [i["text"]["content"] for i in await _custom_sent(ctl, openid)] == ["答复：乙"]
    assert not await PendingDelivery.filter(openid=openid).exists()
    assert (await InboundMessage.get(openid=openid)).status == "delivered" and RUNS[openid] == 1
    assert (await s.post(xml)).text is None  # a late retry still gets success
    await ctl.aclose()


async def test_a_retry_while_the_safety_job_recomputes_gets_success(client, emulator, drain_jobs, race) -> None:
    set_settings(make_settings(wechat_reply_budget=0.2))
    openid = "o_race_redo"
    ctl = await _emulated(emulator, openid)
    s = sim(client, SAFE)
    xml = s.text_xml(openid, "ZZT-race 丙")
    assert (await s.post(xml)).is_success
    for task in list(late._background):  # a restart: the late handler is gone
        task.cancel()
    await asyncio.sleep(0)
    race["entered"].clear()
    drained = asyncio.ensure_future(drain_jobs(now=utcnow() + timedelta(seconds=120)))
    await race["entered"].wait()  # wechat.reply_later is computing the answer again ("redoing")
    assert (await InboundMessage.get(openid=openid)).status == "redoing"
    HOLD.add("answered")
    race["release"].set()
    await race["at_answered"].wait()
    retry = await s.post(xml)  # arrives as the recomputed answer is being stored
    assert retry.is_success and retry.text is None
    race["go_answered"].set()
    await drained
    assert [i["text"]["content"] for i in await _custom_sent(ctl, openid)] == ["答复：丙"]
    assert (await InboundMessage.get(openid=openid)).status == "delivered" and RUNS[openid] == 2
    await ctl.aclose()
