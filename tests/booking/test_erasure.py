"""A resident's erasure (删除权) and access request reach their bookings: the future booking made in the
chat is cancelled and its place offered to the first on the waiting list; no booking table keeps their
name, phone, description or WeChat identity; the statistics keep the booking's skeleton; the export
before erasure lists the booking with the phone decrypted."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from tests.booking.conftest import POINT, SERVICE, SLOT_AT
from tests.booking.test_chat import ACCOUNT, option, say

OPENID = "o_book_erase"
MARKERS = ("赵秀英", "13700137000", "137****7000", "房屋买卖合同公证", OPENID)
TABLES = ("booking_booking", "booking_wait", "booking_consent", "booking_person", "booking_reminder")


@pytest.fixture
def sim(client: httpx.AsyncClient, settings: Any, plan: Any) -> CallbackSimulator:
    from app.config import set_settings

    set_settings(settings.model_copy(update={"wechat_timestamp_window": 0}))  # the clock is frozen
    return CallbackSimulator(get_matrix().get(ACCOUNT), base_url=str(client.base_url).rstrip("/"), client=client)


async def _book_in_chat(s: CallbackSimulator) -> str:
    reply = await say(s, OPENID, "预约")
    reply = await say(s, OPENID, option(reply, "公证咨询"))
    reply = await say(s, OPENID, option(reply, "桃源镇公共法律服务工作站"))
    reply = await say(s, OPENID, option(reply, "12月8日"))
    reply = await say(s, OPENID, option(reply, "09:00"))
    await say(s, OPENID, "赵秀英")
    await say(s, OPENID, "13700137000")
    await say(s, OPENID, "房屋买卖合同公证")
    reply = await say(s, OPENID, "1")
    m = re.search(r"预约码 ([A-Z0-9]{6})", reply)
    assert m, reply
    return m.group(1)


async def _rows_with_markers(table: str) -> list[str]:
    rows = await Tortoise.get_connection("default").execute_query_dict(f"SELECT * FROM {table}")
    text = " ".join(" ".join(str(v) for v in dict(r).values()) for r in rows)
    return sorted({m for m in MARKERS if m in text})


async def test_erasure_cancels_future_bookings_offers_the_place_and_leaves_no_trace(sim: CallbackSimulator) -> None:
    from app.booking import service
    from app.booking.models import Booking, BookingConsent, BookingSlot, BookingWait
    from app.residents import service as residents_service
    from app.residents.models import ResidentAccount

    code = await _book_in_chat(sim)
    mine = await Booking.get(code=code)
    assert mine.resident_id is not None and mine.openid == OPENID
    from app.config import get_settings

    assert await service.reminder_consent(account_key=ACCOUNT, openid=OPENID, status="accept",
                                          template_id=get_settings().booking_reminder_template_id)
    for i in (1, 2):  # the slot (capacity 3) is now full
        await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name=f"居民{i}",
                           phone=f"1390000000{i}", channel="page")
    waiting = await service.join(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT,
                                          name="候补人", phone="13600000009")
    link = await ResidentAccount.get(account_key=ACCOUNT, openid=OPENID)

    exported = await residents_service.export_resident(resident_id=int(link.resident_id))  # type: ignore[attr-defined]
    [row] = exported["bookings"]
    assert row["code"] == code and row["phone"] == "13700137000" and row["name"] == "赵秀英"
    assert row["point"] == "桃源镇公共法律服务工作站" and row["status"] == "已预约"
    before = {t: await _rows_with_markers(t) for t in TABLES}
    assert before["booking_booking"] and before["booking_consent"], before

    await residents_service.erase_resident(resident_id=int(link.resident_id),  # type: ignore[attr-defined]
                                           reason="居民申请删除")

    after = {t: found for t in TABLES if (found := await _rows_with_markers(t))}
    assert not after, after
    gone = await Booking.get(code=code)  # the skeleton stays for the statistics
    assert gone.status == "cancelled" and gone.cancel_reason == "居民个人信息已删除"
    assert gone.service_code == SERVICE and gone.point_code == POINT and gone.channel == "chat"
    assert gone.resident_id is None and gone.openid is None and gone.phone_enc == ""
    assert (await BookingWait.get(id=waiting.id)).status == "offered"  # the freed place went to the list
    assert (await BookingSlot.get(id=mine.slot_id)).taken == 3  # 2 booked + 1 held for the waiting one
    assert not await BookingConsent.filter(openid=OPENID).exists()
    reply = await say(sim, OPENID, "我的预约")  # the same WeChat user again: a new resident, no bookings
    assert code not in reply


async def test_retention_purges_past_bookings_and_keeps_future_ones(sim: CallbackSimulator) -> None:
    from datetime import timedelta

    from app.booking import service
    from app.booking.models import Booking
    from app.residents import service as residents_service

    past = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="赵秀英",
                              phone="13700137000", channel="page", description="房屋买卖合同公证")
    future = await service.book(point_code=POINT, service_code=SERVICE, starts_at=SLOT_AT, name="钱大伯",
                                phone="13700137001", channel="page")
    await Booking.filter(code=past.code).update(status="checked_in", starts_at=SLOT_AT - timedelta(days=400))
    assert await residents_service.purge_chat_logs() >= 1
    old = await Booking.get(code=past.code)
    assert old.name == "（已删除）" and old.phone_enc == "" and old.description == "" and old.status == "checked_in"
    assert (await Booking.get(code=future.code)).name == "钱大伯"  # still to come: kept
    assert await residents_service.purge_chat_logs() == 0  # once
