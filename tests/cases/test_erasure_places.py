"""Erasure (删除权) reaches every place a resident's personal data lives, one test per place: a
resident goes through WeChat, the bot, a hand-over and a clerk's handling (history reasons, notes
quoting them, a transfer, a queued result), then is erased; each place must hold data about them
before and none after. A last test scans every table, so a new place cannot be forgotten."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

from tests.cases.conftest import build_team
from tests.consult.conftest import FIXTURE_KB
from tests.wechat.helpers import PLAIN, sim

OPENID = "o_erase_all"
MARKERS = ("13912345678", "王小花", "李大强", "结婚证", "人身安全保护令", OPENID)


@pytest.fixture(autouse=True)
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    engine.get_engine()  # built now, not inside the first callback's time budget
    yield
    engine.use_folder(None)


async def _story(client: httpx.AsyncClient, drain_jobs: Any) -> int:
    """The resident's story; returns their resident id."""
    from app.cases import service
    from app.cases.models import Case
    from app.residents.models import ResidentAccount

    team = await build_team()
    s = sim(client, PLAIN)
    await s.event(OPENID, "subscribe")
    await s.text(OPENID, "离婚时孩子抚养费怎么算，我叫王小花，电话13912345678")
    await s.text(OPENID, "转人工")
    case = await Case.get(openid=OPENID)
    await service.take(actor=team.clerk, case_id=case.id)
    await service.return_for_info(actor=team.clerk, case_id=case.id, reason="请王小花提供结婚证复印件")
    await s.text(OPENID, "我补充：结婚证在我这里，我丈夫叫李大强")
    await service.add_note(actor=team.clerk, case_id=case.id, text="王小花说她丈夫李大强有暴力倾向")
    await service.give_result(actor=team.clerk, case_id=case.id, text="已协助王小花申请人身安全保护令")
    await service.transfer(actor=team.clerk, case_id=case.id, reason="王小花要求社区跟进", to_unit_code="JXSQ")
    await drain_jobs()
    link = await ResidentAccount.get(account_key=PLAIN, openid=OPENID)
    from app.residents.models import Resident

    # the name they gave in a form (the residents domain has no such form yet)
    await Resident.filter(id=link.resident_id).update(name="王小花")  # type: ignore[attr-defined]
    return int(link.resident_id)  # type: ignore[attr-defined]


def _rows_with_markers(rows: list[dict[str, Any]]) -> list[str]:
    found = []
    for row in rows:
        text = " ".join(str(v) for v in row.values())
        found += [m for m in MARKERS if m in text]
    return sorted(set(found))


async def _table_rows(table: str) -> list[dict[str, Any]]:
    conn = Tortoise.get_connection("default")
    return [dict(r) for r in await conn.execute_query_dict(f"SELECT * FROM {table}")]


PLACES = {
    "resident": "resident",  # name, phone, unionid
    "resident_account": "resident_account",  # openids
    "case": "cases_case",  # summary, result text, openid
    "case_messages": "cases_message",  # conversation and notes quoting the resident
    "case_history": "cases_event",  # reasons in the history
    "transfers": "cases_transfer",  # transfer reasons
    "wechat_inbound": "wechat_inbound",  # what they sent, their openid
    "chat_log": "wechat_chat_log",  # what staff and the bot sent them
    "pending": "wechat_pending",  # answers waiting for them
    "windows": "wechat_window",  # their customer-service window
    "jobs": "job",  # jobs' payloads naming their openid
    "consultations": "consult_consultation",  # what they asked the bot
}


@pytest.mark.parametrize("place", list(PLACES))
async def test_erasure_leaves_nothing_in(place: str, client: httpx.AsyncClient, drain_jobs: Any,
                                         emulator: Any) -> None:
    from app.residents import service as residents_service

    table = PLACES[place]
    resident_id = await _story(client, drain_jobs)
    before = _rows_with_markers(await _table_rows(table))
    assert before, f"{table} held nothing about the resident: the story does not reach this place"
    await residents_service.erase_resident(resident_id=resident_id, reason="居民申请删除")
    after = _rows_with_markers(await _table_rows(table))
    assert not after, f"{table} still holds {after}"


async def test_no_table_keeps_anything_and_statistics_stay(client: httpx.AsyncClient, drain_jobs: Any,
                                                           emulator: Any) -> None:
    from app.cases.models import Case, CaseEvent
    from app.consult.models import Consultation
    from app.residents import service as residents_service

    resident_id = await _story(client, drain_jobs)
    exported = await residents_service.export_resident(resident_id=resident_id)
    text = str(exported)
    for m in MARKERS:  # export includes everything held: cases, history, chat, bot log, openids
        assert m in text, m
    assert exported["wechat"][0]["messages"] and exported["consultations"] and exported["cases"][0]["history"]
    await residents_service.erase_resident(resident_id=resident_id, reason="居民申请删除")
    conn = Tortoise.get_connection("default")
    tables = [m._meta.db_table for app in Tortoise.apps.values() for m in app.values()]
    leaks = {}
    for table in tables:
        if table == "staff_audit_log":
            continue  # the audit log names ids only
        found = _rows_with_markers([dict(r) for r in await conn.execute_query_dict(f"SELECT * FROM {table}")])
        if found:
            leaks[table] = found
    assert not leaks, leaks
    case = await Case.get(resident_id=resident_id)  # the skeleton stays for statistics
    assert case.category == "marriage_family" and case.number
    assert await CaseEvent.filter(case_id=case.id, action="resident_erased").exists()
    assert await Consultation.filter(category="marriage_family").exists()
