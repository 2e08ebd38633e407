"""The console as a front desk, over HTTP: a walk-in or hotline call registered in one form (the
resident found by phone, consent recorded), linked to WeChat by the code the clerk reads out (the
simulator sends it), the result told by phone otherwise; the registration form printed; canned
replies, category correction in the history, quick replies from the case's category, CSV in Chinese,
and the alerts API behind the title count and banner."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.cases.models import Case, CaseEvent
from tests.console.conftest import HTML, login, session_csrf
from tests.consult.conftest import FIXTURE_KB
from tests.factories import make_case, make_resident, make_staff
from tests.wechat.helpers import PLAIN, sim


@pytest.fixture(autouse=True)
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    engine.get_engine()  # built now, not inside the first callback's time budget
    yield
    engine.use_folder(None)


async def _clerk(client: httpx.AsyncClient, username: str = "desk", units: list[str] | None = None) -> str:
    await make_staff(username=username, name="窗口小李", unit_codes=units or ["YXJD"])
    await login(client, username)
    return await session_csrf(client)


async def test_walk_in_registered_found_by_phone_and_linked_by_code(client: httpx.AsyncClient,
                                                                    drain_jobs: Any) -> None:
    known = await make_resident(phone="13812345678", name="王阿姨")
    token = await _clerk(client)
    r = await client.post("/console/cases/new", headers=HTML, data={
        "csrf_token": token, "channel": "hotline", "phone": "138 1234 5678", "name": "", "consent": "1",
        "summary": "儿子不付赡养费，想要调解", "category": "marriage_family", "type": "mediation", "unit": "JXSQ"})
    assert r.status_code == 200, r.text[:500]
    case = await Case.get(summary="儿子不付赡养费，想要调解")
    assert (case.channel, case.resident_id, case.contact_consent) == ("hotline", known.id, True)
    assert case.owner_name == "窗口小李" and case.first_owner_id == case.owner_id and case.time_limit == "1m"
    code = re.search(r'id="bind-code">绑定码 <b>(\d{6})</b>', r.text)
    assert code, "the bind code is shown to read out"
    assert "热线" in r.text
    # the resident follows and sends the code: replies and the result now go by WeChat
    reply = (await sim(client, PLAIN).text("o_walkin", f"绑定 {code.group(1)}")).text or ""
    assert "绑定成功" in reply and case.number in reply
    case = await Case.get(id=case.id)
    assert (case.account_key, case.openid) == (PLAIN, "o_walkin")
    again = (await sim(client, PLAIN).text("o_other", f"绑定 {code.group(1)}")).text or ""
    assert "不正确或已过期" in again  # a code works once
    progress = (await sim(client, PLAIN).text("o_walkin", "查进度")).text or ""
    assert case.number in progress


async def test_bad_registration_keeps_what_was_typed(client: httpx.AsyncClient) -> None:
    token = await _clerk(client)
    r = await client.post("/console/cases/new", headers=HTML, data={
        "csrf_token": token, "channel": "walk_in", "phone": "12345", "summary": "想咨询工伤"})
    assert r.status_code == 400 and "手机号码格式不对" in r.text and "想咨询工伤" in r.text
    assert not await Case.exists()


async def test_result_told_by_phone_without_wechat_and_printable_form(client: httpx.AsyncClient,
                                                                      drain_jobs: Any) -> None:
    token = await _clerk(client)
    await client.post("/console/cases/new", headers=HTML, data={
        "csrf_token": token, "channel": "walk_in", "summary": "邻居占用楼道堆放杂物", "category": "tort_neighbour"})
    case = await Case.get(summary="邻居占用楼道堆放杂物")
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert "已电话告知" in page.text  # no WeChat: the result is recorded as told
    r = await client.post(f"/console/cases/{case.id}/result", headers=HTML, data={
        "csrf_token": token, "text": "已联系社区调解员上门协调", "told": "phone"})
    assert r.status_code == 303
    await drain_jobs()
    case = await Case.get(id=case.id)
    assert (case.status, case.result_delivery) == ("result_given", "phone") and case.first_response_at
    printed = await client.get(f"/console/cases/{case.id}/print", headers=HTML)
    assert printed.status_code == 200 and "公共法律服务事项登记表" in printed.text
    assert case.number in printed.text and "已电话告知" in printed.text and "窗口" in printed.text


async def test_canned_replies_category_correction_and_quick_replies(client: httpx.AsyncClient) -> None:
    token = await _clerk(client)
    r = await client.post("/console/canned", headers=HTML, data={
        "csrf_token": token, "title": "欠薪材料", "text": "请准备劳动合同、工资条和考勤记录。"})
    assert r.status_code == 303
    case = await make_case(summary="公司三个月没发工资", category="marriage_family")  # the bot got it wrong
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert 'data-quick="请准备劳动合同、工资条和考勤记录。"' in page.text  # the unit's canned reply
    r = await client.post(f"/console/cases/{case.id}/category", headers=HTML, data={
        "csrf_token": token, "category": "labor", "reason": "实为欠薪"})
    assert r.status_code == 303
    ev = await CaseEvent.get(case_id=case.id, action="recategorize")
    assert ev.detail == {"from": "marriage_family", "to": "labor"} and ev.reason == "实为欠薪"
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    quick = re.search(r'<div class="c-quick" id="quick"[^>]*><span class="muted">([^<]*)知识库：', page.text)
    assert quick and quick.group(1) == "劳动工资与工伤"  # quick replies follow the case's category
    assert "婚姻家庭 → 劳动工资与工伤" in page.text


async def test_csv_in_chinese_and_provisional_deadline_marked(client: httpx.AsyncClient) -> None:
    from datetime import datetime

    from app.core import clock
    from app.core.clock import LOCAL_TZ

    clock.freeze(datetime(2026, 12, 20, 10, tzinfo=LOCAL_TZ))  # 15 working days run into 2027 (not yet published)
    try:
        await _clerk(client)
        case = await make_case(type="complaint", summary="投诉窗口态度")
        assert case.deadline_provisional
        inbox = await client.get("/console/inbox", params={"tab": "all"}, headers=HTML)
        assert 'class="badge provisional"' in inbox.text
        r = await client.get("/console/export", headers=HTML)
    finally:
        clock.freeze(None)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0]["分类"] == "劳动工资与工伤" and rows[0]["镇街"] == "云溪街道" and rows[0]["渠道"] == "公众号"
    assert rows[0]["期限暂定"] == "是"


async def test_alerts_api_counts_new_cases_and_acknowledges(client: httpx.AsyncClient) -> None:
    token = await _clerk(client)
    data = (await client.get("/console/api/alerts")).json()
    assert data["total"] == 0
    case = await make_case(summary="新来的案件")
    data = (await client.get("/console/api/alerts")).json()
    assert data["total"] == 1 and data["items"][0]["case_id"] == case.id and data["items"][0]["kind"] == "new"
    await make_case(summary="紧急的案件", urgent=True)
    data = (await client.get("/console/api/alerts")).json()
    assert data["urgent"] == 1 and data["items"][0]["urgent"]  # urgent first
    r = await client.post("/console/alerts/ack", headers=HTML, data={"csrf_token": token})
    assert r.status_code == 303
    assert (await client.get("/console/api/alerts")).json()["total"] == 0


async def test_first_receiver_keeps_sight_after_transfer(client: httpx.AsyncClient) -> None:
    from app.cases import service
    from app.staff import service as staff_service
    from app.staff.models import StaffUser

    token = await _clerk(client)
    case = await make_case(summary="宅基地纠纷")
    await client.post(f"/console/cases/{case.id}/take", headers=HTML, data={"csrf_token": token})
    r = await client.post(f"/console/cases/{case.id}/transfer", headers=HTML, data={
        "csrf_token": token, "target": "unit:TYZ", "reason": "属地在桃源镇"})
    assert r.status_code == 303
    other = await make_staff(username="tyz", unit_codes=["TYZ"])
    actor = await staff_service.actor_for(await StaffUser.get(id=other.id))
    tr = (await service.pending_transfers_for(actor=actor))[0]
    await service.accept_transfer(actor=actor, transfer_id=tr.id)
    await service.give_result(actor=actor, case_id=case.id, text="已现场调解", told="in_person")
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert page.status_code == 200 and 'id="first-receiver"' in page.text and "已现场调解" in page.text
    assert f'action="/console/cases/{case.id}/reply"' not in page.text  # sight, not handling
    inbox = await client.get("/console/inbox", params={"tab": "handled"}, headers=HTML)
    assert case.number in inbox.text
