"""The console pages end to end: inbox tabs, filters and search, working a case, the resident page
with audited reveals, the dashboard and the CSV export."""

from __future__ import annotations

import csv
import io
import re

import httpx

from app.cases.models import Case, CaseMessage
from app.core.actor import Role
from app.staff.models import AuditLog
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_case, make_resident, make_staff


async def _clerk(client: httpx.AsyncClient, username: str = "clerk", **kw: object) -> object:
    user = await make_staff(username=username, **kw)
    r = await login(client, username)
    assert r.status_code == 303
    return user



def _case_list(html: str) -> str:
    """The inbox's case table only (the alerts above it name new cases too)."""
    return html.split('id="case-list"', 1)[1] if 'id="case-list"' in html else ""

class TestInbox:
    async def test_tabs_counts_and_scope(self, client: httpx.AsyncClient) -> None:
        me = await _clerk(client)
        mine = await make_case(summary="邻居装修噪音扰民")
        await make_case(summary="离婚后孩子抚养费", category="marriage_family")
        other = await make_case(summary="石桥镇的土地纠纷", township_code="SQZ", community_code="SQSQ")
        from app.cases import service as cases_service
        from app.staff import service as staff_service

        await cases_service.take(actor=await staff_service.actor_for(me), case_id=mine.id)
        r = await client.get("/console/inbox?tab=unassigned", headers=HTML)
        assert r.status_code == 200
        counts = dict(re.findall(r'data-tab="(\w+)">[^<]+<span class="c-count">(\d+)</span>', r.text))
        assert counts["mine"] == "1" and counts["unassigned"] == "1" and counts["unit"] == "2"
        assert "离婚后孩子抚养费" in r.text and "邻居装修噪音扰民" not in r.text
        assert other.number not in r.text and "石桥镇的土地纠纷" not in r.text
        r = await client.get("/console/inbox?tab=all", headers=HTML)
        assert mine.number in r.text and other.number not in r.text
        assert "未到期" in r.text  # due badge

    async def test_search_by_number_and_words(self, client: httpx.AsyncClient) -> None:
        await _clerk(client)
        a = await make_case(summary="工伤认定需要哪些材料")
        b = await make_case(summary="借钱不还打欠条")
        r = await client.get("/console/inbox", params={"tab": "all", "q": "工伤"}, headers=HTML)
        listed = _case_list(r.text)
        assert a.number in listed and b.number not in listed
        r = await client.get("/console/inbox", params={"tab": "all", "q": b.number}, headers=HTML)
        assert b.number in _case_list(r.text) and a.number not in _case_list(r.text)
        r = await client.get("/console/inbox", params={"tab": "all", "type": "legal_aid"}, headers=HTML)
        assert a.number not in _case_list(r.text) and "没有符合条件的案件" in r.text

    async def test_filter_by_category(self, client: httpx.AsyncClient) -> None:
        await _clerk(client)
        labor = await make_case(summary="拖欠工资")  # category labor
        family = await make_case(summary="离婚后抚养费", category="marriage_family")
        r = await client.get("/console/inbox", params={"tab": "all", "category": "marriage_family"}, headers=HTML)
        assert r.status_code == 200
        assert family.number in _case_list(r.text) and labor.number not in _case_list(r.text)
        assert '<option value="marriage_family" selected>婚姻家庭</option>' in r.text
        assert '<option value="labor">劳动工资与工伤</option>' in r.text
        counts = dict(re.findall(r'data-tab="(\w+)">[^<]+<span class="c-count">(\d+)</span>', r.text))
        assert counts["all"] == "1" and counts["unassigned"] == "1"  # the tabs count with the filter
        r = await client.get("/console/inbox", params={"tab": "all", "category": "no_such"}, headers=HTML)
        assert r.status_code == 400 and "未知的案件分类" in r.text and labor.number not in _case_list(r.text)


class TestWorkingACase:
    async def test_take_reply_result(self, client: httpx.AsyncClient) -> None:
        me = await _clerk(client)
        case = await make_case()
        page = await client.get(f"/console/cases/{case.id}", headers=HTML)
        assert page.status_code == 200 and "接办" in page.text and "工地老板拖欠三个月工资怎么办" in page.text
        token = csrf_of(page.text)
        r = await client.post(f"/console/cases/{case.id}/take", headers=HTML, data={"csrf_token": token})
        assert r.status_code == 303 and r.headers["location"].endswith("notice=take")
        assert (await Case.get(id=case.id)).owner_id == me.id
        r = await client.post(f"/console/cases/{case.id}/reply", headers=HTML,
                              data={"csrf_token": token, "text": "您好，请带上劳动合同来工作站。"})
        assert r.status_code == 303
        assert await CaseMessage.filter(case_id=case.id, role="staff", text="您好，请带上劳动合同来工作站。").exists()
        r = await client.post(f"/console/cases/{case.id}/result", headers=HTML,
                              data={"csrf_token": token, "text": "已协助申请劳动仲裁。"})
        assert r.status_code == 303
        row = await Case.get(id=case.id)
        assert row.status == "result_given" and row.result_text == "已协助申请劳动仲裁。"
        page = await client.get(f"/console/cases/{case.id}", headers=HTML)
        assert "反馈结果" in page.text and "已协助申请劳动仲裁。" in page.text

    async def test_close_and_service_errors_in_chinese(self, client: httpx.AsyncClient) -> None:
        await _clerk(client)
        case = await make_case()
        token = csrf_of((await client.get(f"/console/cases/{case.id}", headers=HTML)).text)
        r = await client.post(f"/console/cases/{case.id}/close", headers=HTML, data={"csrf_token": token, "reason": "x"})
        assert r.status_code == 409 and "请先接办" in r.text  # re-rendered case page with the error
        await client.post(f"/console/cases/{case.id}/take", headers=HTML, data={"csrf_token": token})
        r = await client.post(f"/console/cases/{case.id}/close", headers=HTML,
                              data={"csrf_token": token, "reason": "居民撤回"})
        assert r.status_code == 303
        assert (await Case.get(id=case.id)).status == "closed"

    async def test_transfer_to_another_unit_then_accept(self, client: httpx.AsyncClient, new_client: object) -> None:
        await _clerk(client)
        other_browser = new_client()  # type: ignore[operator]
        await make_staff(username="sqz", unit_codes=["SQZ"])
        await login(other_browser, "sqz")
        case = await make_case()
        token = csrf_of((await client.get(f"/console/cases/{case.id}", headers=HTML)).text)
        await client.post(f"/console/cases/{case.id}/take", headers=HTML, data={"csrf_token": token})
        r = await client.post(f"/console/cases/{case.id}/transfer", headers=HTML,
                              data={"csrf_token": token, "target": "unit:SQZ", "reason": "属石桥镇辖区"})
        assert r.status_code == 303
        # the receiving township cannot open the case yet, but its inbox offers the transfer
        assert (await other_browser.get(f"/console/cases/{case.id}", headers=HTML)).status_code == 404
        page = await other_browser.get("/console/inbox", headers=HTML)
        assert "待我接收的转办" in page.text and case.number in page.text and "属石桥镇辖区" in page.text
        accept = re.search(r'action="(/console/transfers/\d+/accept)"', page.text)
        assert accept
        r = await other_browser.post(accept.group(1), headers=HTML, data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303 and r.headers["location"] == f"/console/cases/{case.id}?notice=accept"
        assert (await other_browser.get(r.headers["location"], headers=HTML)).status_code == 200
        row = await Case.get(id=case.id)
        assert row.township_code == "SQZ" and row.owner_name == "测试员"


class TestResidentPage:
    async def test_masked_then_reveal_is_audited(self, client: httpx.AsyncClient) -> None:
        me = await _clerk(client)
        resident = await make_resident()
        await make_case(resident_id=resident.id)
        page = await client.get(f"/console/residents/{resident.id}", headers=HTML)
        assert page.status_code == 200
        assert "138****5678" in page.text and "13812345678" not in page.text
        assert "110105********002X" in page.text and "11010519491231002X" not in page.text
        r = await client.post(f"/console/residents/{resident.id}/reveal", headers=HTML,
                              data={"csrf_token": csrf_of(page.text), "field": "phone", "reason": "回电"})
        assert r.status_code == 200 and "13812345678" in r.text and "11010519491231002X" not in r.text
        entry = await AuditLog.get(action="resident.reveal_phone")
        assert entry.actor_id == me.id and entry.target_id == str(resident.id) and entry.detail["reason"] == "回电"


class TestDashboardAndExport:
    async def test_dashboard_charts_offline(self, client: httpx.AsyncClient) -> None:
        await _clerk(client)
        await make_case()
        await make_case(category="marriage_family")
        r = await client.get("/console/dashboard", headers=HTML)
        assert r.status_code == 200
        assert "<svg" in r.text and "劳动工资与工伤" in r.text and "婚姻家庭" in r.text
        assert "暂无数据" in r.text  # satisfaction before any survey
        assert "http://" not in r.text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing remote

    async def test_export_csv_with_bom_in_scope(self, client: httpx.AsyncClient) -> None:
        await _clerk(client, role=Role.SUPERVISOR, unit_codes=["TYZ"])
        mine = await make_case(township_code="TYZ", community_code="TYC")
        other = await make_case()
        r = await client.get("/console/export", headers=HTML)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert [x["编号"] for x in rows] == [mine.number]
        assert other.number not in r.text
        assert await AuditLog.filter(action="cases.export").count() == 1


class TestDashboardSources:
    async def test_busiest_boards_in_scope_only(self, client: httpx.AsyncClient) -> None:
        from app.boards import service as boards_service

        await _clerk(client)
        for _ in range(3):
            await boards_service.record_scan(board_code="JXSQ04", kind="url", event="open")
        await boards_service.record_scan(board_code="SQSQ01", kind="url", event="open")
        r = await client.get("/console/dashboard", headers=HTML)
        assert "锦绣社区农贸市场入口" in r.text and "3次" in r.text
        assert "石桥社区1号楼" not in r.text

    async def test_kb_quick_reply_search(self, client: httpx.AsyncClient) -> None:
        await _clerk(client)
        r = await client.get("/console/api/kb", params={"q": "老板拖欠工资不给怎么办"})
        assert r.status_code == 200
        hits = r.json()["hits"]
        assert hits and all(h["title"] and h["answer"] for h in hits)
