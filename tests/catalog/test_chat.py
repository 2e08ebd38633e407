"""The case library in the chat (查案例 欠薪), and the board landing page's links, through real entry points."""

from __future__ import annotations

from typing import Any

import httpx

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from tests.catalog.test_pages import HTML


async def test_chat_case_search_answers_with_links(catalog: Any, client: httpx.AsyncClient) -> None:
    s = CallbackSimulator(get_matrix().get("yx_jiedao"), base_url=str(client.base_url).rstrip("/"), client=client)
    reply = (await s.text("o_cat1", "查案例 欠薪")).text or ""
    assert "与“欠薪”有关的典型案例" in reply and "/catalog/cases/construction-wages-general-contractor" in reply
    assert len(reply.encode()) <= 2048
    empty = (await s.text("o_cat1", "查案例")).text or ""
    assert "查案例 欠薪" in empty and "/catalog/cases" in empty
    none = (await s.text("o_cat1", "查案例 航天飞机")).text or ""
    assert "没有找到与“航天飞机”有关的典型案例" in none


async def test_board_landing_links_the_catalogue_and_the_advisor_page(catalog: Any, client: httpx.AsyncClient) -> None:
    page = await client.get("/s/JXSQ01", headers=HTML)
    assert page.status_code == 200
    assert 'href="/catalog?board=JXSQ01"' in page.text
    assert 'href="/catalog/providers/LY-ADV001?board=JXSQ01"' in page.text  # 徐志强, the community's advisor
    advisor = await client.get("/catalog/providers/LY-ADV001?board=JXSQ01", headers=HTML)
    assert "徐志强" in advisor.text and 'href="/s/JXSQ01"' in advisor.text  # back to the community page


async def test_the_portal_links_the_catalogue(catalog: Any, client: httpx.AsyncClient) -> None:
    page = await client.get("/", headers=HTML)
    assert page.status_code == 200 and 'href="/catalog"' in page.text
