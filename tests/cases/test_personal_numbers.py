"""Personal numbers typed in free text (phone, ID card, bank card), from WeChat to the console: stored
masked with the original encrypted beside it, shown masked to every role, revealed in full only on an
audited action by roles that may (never the supervisor), in the resident's export, gone on erasure."""

from __future__ import annotations

import re
from typing import Any

import httpx
from tortoise import connections

from app.cases.models import Case, CaseMessage
from app.consult.models import Consultation
from app.core.actor import Role
from app.residents.models import ResidentAccount
from app.staff.models import AuditLog
from app.wechat import service as wechat_service
from app.wechat.models import InboundMessage
from tests.console.conftest import HTML, login, session_csrf
from tests.factories import make_staff
from tests.wechat.helpers import PLAIN, sim

PHONE, IDNO, CARD = "13812345678", "11010519491231002X", "6222021234567890128"
TYPED = f"老板欠我工资，电话 138 1234 5678，身份证{IDNO}，工资卡6222 0212 3456 7890 128"
CLEAR = (PHONE, IDNO, CARD, "1234 5678", "19491231")


async def _clear_anywhere() -> list[str]:
    """Every stored free-text column that still holds a number in clear (read with SQL, not the ORM)."""
    conn = connections.get("default")
    found = []
    for table, column in (("cases_case", "summary"), ("cases_message", "text"), ("wechat_inbound", "text"),
                          ("wechat_inbound", "fields_json"), ("consult_consultation", "question")):
        _, rows = await conn.execute_query(f"SELECT {column} FROM {table}")
        for row in rows:
            value = str(list(dict(row).values())[0] or "")
            found += [f"{table}.{column}: {value[:60]}" for needle in CLEAR if needle in value]
    return found


async def _handed_over(client: httpx.AsyncClient) -> Case:
    s = sim(client, PLAIN)
    assert (await s.text("o_pn", TYPED)).status == 200
    reply = (await s.text("o_pn", "转人工")).text or ""
    assert re.search(r"编号 [A-Z]+\d{8}-\d+", reply), reply
    link = await ResidentAccount.get(account_key=PLAIN, openid="o_pn")
    return await Case.get(resident_id=link.resident_id)


async def test_stored_masked_with_the_original_encrypted(client: httpx.AsyncClient) -> None:
    case = await _handed_over(client)
    assert await _clear_anywhere() == []
    row = await InboundMessage.get(openid="o_pn", kind="text", text__contains="工资")
    assert "138****5678" in (row.text or "") and "110105********002X" in (row.text or "")
    assert "6222****0128" in (row.text or "") and "138****5678" in row.fields_json["Content"]
    assert row.text_enc and PHONE not in row.text_enc and row.fields_enc
    # the engine gets the message back as sent (a retry, a recovery after a crash)
    again = await wechat_service.get_inbound(row.id)
    assert again.text == TYPED and again.fields_json["Content"] == TYPED
    question = await Consultation.get(question__contains="工资")
    assert "138****5678" in question.question and question.question_enc
    msgs = await CaseMessage.filter(case_id=case.id, role="resident")
    assert any("138****5678" in m.text and m.text_enc for m in msgs)


async def test_console_shows_masked_and_reveals_on_an_audited_action(client: httpx.AsyncClient,
                                                                     app: Any) -> None:
    case = await _handed_over(client)
    await make_staff(username="clerk", unit_codes=[case.township_code])
    await make_staff(username="insp", role=Role.SUPERVISOR, unit_codes=["YX"])
    clerk = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    insp = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await login(clerk, "clerk")
    await login(insp, "insp")
    for who in (clerk, insp):
        page = await who.get(f"/console/cases/{case.id}", headers=HTML)
        assert page.status_code == 200 and "138****5678" in page.text
        assert not any(n in page.text for n in CLEAR), "a number in clear on the case page"
        inbox = await who.get("/console/inbox?tab=all", headers=HTML)
        assert not any(n in inbox.text for n in CLEAR)
    sup_page = await insp.get(f"/console/cases/{case.id}", headers=HTML)
    assert "显示完整号码" not in sup_page.text  # no reveal for the supervisor
    r = await insp.post(f"/console/cases/{case.id}/reveal", headers=HTML,
                        data={"csrf_token": await session_csrf(insp), "reason": "看看"})
    assert r.status_code == 403 and PHONE not in r.text
    assert not await AuditLog.filter(action="case.reveal_text").exists()

    page = await clerk.get(f"/console/cases/{case.id}", headers=HTML)
    assert "显示完整号码" in page.text
    r = await clerk.post(f"/console/cases/{case.id}/reveal", headers=HTML,
                         data={"csrf_token": await session_csrf(clerk), "reason": "回电核实"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "138 1234 5678" in r.text and IDNO in r.text and "查看已记入审计日志" in r.text
    entry = await AuditLog.get(action="case.reveal_text")
    assert entry.target_id == str(case.id) and entry.detail["reason"] == "回电核实" and entry.detail["texts"] >= 1
    # revealing changed nothing stored
    assert await _clear_anywhere() == []
    assert "138 1234 5678" not in (await clerk.get(f"/console/cases/{case.id}", headers=HTML)).text


async def test_export_has_the_numbers_and_erasure_removes_them(client: httpx.AsyncClient) -> None:
    from app.core.actor import SYSTEM
    from app.residents import service as residents_service

    case = await _handed_over(client)
    assert await CaseMessage.filter(text_enc__isnull=False, case_id=case.id).exists()  # stored encrypted…
    exported = await residents_service.export_resident(resident_id=case.resident_id, actor=SYSTEM)
    text = str(exported)
    assert "138 1234 5678" in text and IDNO in text  # …exported as typed: the resident's own data
    await residents_service.erase_resident(resident_id=case.resident_id, actor=SYSTEM, reason="居民申请删除")
    assert not await CaseMessage.filter(text_enc__isnull=False, case_id=case.id).exists()
    assert (await Case.get(id=case.id)).summary_enc is None
    assert not await InboundMessage.filter(openid="o_pn").exclude(text_enc=None).exists()
    assert not await InboundMessage.filter(openid="o_pn").exclude(fields_enc=None).exists()
    assert not await Consultation.filter(question_enc__isnull=False).exists()
