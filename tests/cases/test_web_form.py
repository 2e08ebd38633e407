"""The board's web consult form closes the loop: "1"/"2" open the related questions the answer
offered, and 转人工 opens a real case for the board's community, the resident called back on the
phone they left with their consent; a second request joins it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.cases.models import Case
from tests.consult.conftest import FIXTURE_KB

HTML = {"accept": "text/html"}


@pytest.fixture(autouse=True)
def kb(settings: Any) -> Iterator[None]:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    engine.get_engine()  # built now, not inside the first callback's time budget
    yield
    engine.use_folder(None)


def _token(html: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', html)
    assert m
    return m.group(1)


async def test_related_pick_and_real_handover(client: httpx.AsyncClient) -> None:
    page = await client.get("/s/JXSQ01/consult", headers=HTML)
    token = _token(page.text)
    ans = await client.post("/s/JXSQ01/consult", headers=HTML,
                            data={"text": "公司拖欠工资三个月不发怎么办", "token": token})
    assert ans.status_code == 200 and "回复 1" in ans.text
    related = re.search(r'name="related" value="([^"]*)"', ans.text)
    assert related and related.group(1)
    first_title = re.search(r'name="text" value="1">1 ([^<]+)</button>', ans.text)
    assert first_title
    pick = await client.post("/s/JXSQ01/consult", headers=HTML, data={
        "text": "1", "token": token, "previous": "公司拖欠工资三个月不发怎么办", "related": related.group(1)})
    assert pick.status_code == 200 and f"【{first_title.group(1)}】" in pick.text  # "1" means the first related

    asked = await client.post("/s/JXSQ01/consult", headers=HTML, data={"text": "转人工", "token": token})
    assert 'id="handover-form"' in asked.text
    refused = await client.post("/s/JXSQ01/handover", headers=HTML, data={
        "token": token, "question": "公司拖欠工资三个月不发", "phone": "13700001111"})
    assert refused.status_code == 400 and "同意" in refused.text and not await Case.exists()
    done = await client.post("/s/JXSQ01/handover", headers=HTML, data={
        "token": token, "question": "公司拖欠工资三个月不发", "phone": "13700001111", "consent": "1"})
    assert done.status_code == 200 and 'id="handed-over"' in done.text
    case = await Case.get()
    assert case.number in done.text
    assert (case.channel, case.community_code, case.contact_consent) == ("web", "JXSQ", True)
    assert case.category == "labor" and "公司拖欠工资三个月不发" in case.summary and case.resident_id
    again = await client.post("/s/JXSQ01/handover", headers=HTML, data={
        "token": token, "question": "还是工资的事", "phone": "13700001111", "consent": "1"})
    assert case.number in again.text and await Case.all().count() == 1  # one matter, one case
