"""The board page's 预约 button and the booking form (/booking), over HTTP as a browser sends it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.booking.conftest import POINT, SERVICE, SLOT

HTML = {"accept": "text/html"}


def token_of(html: str) -> str:
    m = re.search(r'name="token" value="([0-9a-f]+)"', html)
    assert m, html[:500]
    return m.group(1)


async def test_board_button_opens_the_booking_page_with_the_board(client: httpx.AsyncClient, plan: Any) -> None:
    r = await client.get("/s/TYC01/go/booking", headers=HTML)
    assert r.status_code == 303
    assert r.headers["location"] == "/booking?board=TYC01&community=TYC&township=TYZ"
    page = await client.get(r.headers["location"], headers=HTML)
    assert page.status_code == 200 and "即将开放" not in page.text and "公证咨询" in page.text
    page = await client.get("/booking", params={"svc": SERVICE, "board": "TYC01", "community": "TYC"}, headers=HTML)
    names = re.findall(r'point=(SP-[A-Z]+)&', page.text)
    assert names[:3] == ["SP-TYC", "SP-TYZ", "SP-YX"]  # the resident's own workroom, station, centre first


async def test_form_books_once_per_submission_and_explains_a_full_slot(client: httpx.AsyncClient, plan: Any) -> None:
    from app.booking.models import Booking

    page = await client.get("/booking", params={"svc": SERVICE, "point": POINT, "board": "TYC01"}, headers=HTML)
    assert f'value="{SLOT}"' in page.text and "12月8日 周二" in page.text
    body = {"svc": SERVICE, "point": POINT, "slot": SLOT, "name": "赵六", "phone": "13600136000",
            "token": token_of(page.text), "board": "TYC01", "consent": "1"}
    # a double tap: the same form sent twice at once is one booking
    first, second = await asyncio.gather(*(client.post("/booking", data=body, headers=HTML) for _ in range(2)))
    assert first.status_code == second.status_code == 200
    codes = {re.search(r'id="booking-code">([A-Z0-9]+)<', r.text).group(1) for r in (first, second)}  # type: ignore[union-attr]
    assert len(codes) == 1 and await Booking.filter(board_code="TYC01").count() == 1
    assert "12月8日 周二 09:00" in first.text and "桃源镇桃源大道16号" in first.text
    # no consent: the form again, answers kept, nothing booked
    r = await client.post("/booking", data={**body, "token": "f" * 32, "consent": "", "phone": "13600136001"},
                          headers=HTML)
    assert r.status_code == 400 and "请勾选同意" in r.text and 'value="13600136001"' in r.text
    for i in range(2):
        await client.post("/booking", data={**body, "token": f"{i:032x}", "phone": f"1360013610{i}"}, headers=HTML)
    r = await client.post("/booking", data={**body, "token": "e" * 32, "phone": "13600136200"}, headers=HTML)
    assert r.status_code == 409 and "已约满" in r.text and 'id="next-slots"' in r.text
    assert 'value="2026-12-08T09:30"' in r.text
    assert await Booking.filter(starts_at__isnull=False).count() == 3


async def test_manage_page_looks_up_and_cancels(client: httpx.AsyncClient, plan: Any) -> None:
    from app.booking import service
    from tests.booking.conftest import SLOT_AT

    conf = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="钱七",
                              phone="13500135000", channel="page")
    r = await client.post("/booking/manage", data={"code": conf.code, "phone": "13500135001"}, headers=HTML)
    assert r.status_code == 400 and "没有找到该预约" in r.text
    r = await client.post("/booking/manage", data={"code": conf.code.lower(), "phone": "13500135000"}, headers=HTML)
    assert r.status_code == 200 and "取消这个预约" in r.text
    r = await client.post("/booking/manage", data={"code": conf.code, "phone": "13500135000", "action": "cancel"},
                          headers=HTML)
    assert r.status_code == 200 and "预约已取消" in r.text and "已取消" in r.text
