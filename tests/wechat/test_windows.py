"""Customer-service windows kept in the database: 48 h / 5 after a message, 1 min / 3 after a click."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.core import clock
from app.wechat import windows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACC, OID = "yx_district", "oResident000000000000000001"


async def test_message_opens_48_hours_for_5(db: None) -> None:
    assert not await windows.can_send_custom(account_key=ACC, openid=OID, now=T0)
    assert await windows.closed_reason(account_key=ACC, openid=OID, now=T0) == 45015
    await windows.record_interaction(account_key=ACC, openid=OID, kind="message", at=T0)
    later = T0 + timedelta(hours=47)
    for _ in range(5):
        assert await windows.can_send_custom(account_key=ACC, openid=OID, now=later)
        assert await windows.consume_custom(account_key=ACC, openid=OID, now=later)
    assert not await windows.can_send_custom(account_key=ACC, openid=OID, now=later)
    assert await windows.closed_reason(account_key=ACC, openid=OID, now=later) == 45047
    assert not await windows.consume_custom(account_key=ACC, openid=OID, now=later)
    # a new message resets the quota; 48 h later it is over
    await windows.record_interaction(account_key=ACC, openid=OID, kind="message", at=later)
    assert await windows.can_send_custom(account_key=ACC, openid=OID, now=later + timedelta(hours=47))
    assert not await windows.can_send_custom(account_key=ACC, openid=OID, now=later + timedelta(hours=48, seconds=1))
    assert await windows.closed_reason(account_key=ACC, openid=OID, now=later + timedelta(hours=49)) == 45015


async def test_click_opens_one_minute_for_3_and_not_the_48_hours(db: None) -> None:
    await windows.record_interaction(account_key=ACC, openid=OID, kind="click", at=T0)
    state = await windows.window_state(account_key=ACC, openid=OID, now=T0)
    assert state["short_open"] and not state["long_open"] and state["short_left"] == 3
    assert not await windows.can_send_custom(account_key=ACC, openid=OID, now=T0 + timedelta(seconds=61))
    # concurrent senders: exactly 3 get a slot
    got = await asyncio.gather(*(windows.consume_custom(account_key=ACC, openid=OID, now=T0 + timedelta(seconds=5))
                                 for _ in range(8)))
    assert got.count(True) == 3


async def test_short_window_is_used_before_the_long_one(db: None) -> None:
    await windows.record_interaction(account_key=ACC, openid=OID, kind="message", at=T0)
    await windows.record_interaction(account_key=ACC, openid=OID, kind="scan", at=T0)
    for _ in range(3):
        assert await windows.consume_custom(account_key=ACC, openid=OID, now=T0)
    state = await windows.window_state(account_key=ACC, openid=OID, now=T0)
    assert not state["short_open"] and state["long_left"] == 5


async def test_mark_closed_until_next_interaction(db: None) -> None:
    clock.freeze(T0)
    try:
        await windows.record_interaction(account_key=ACC, openid=OID, kind="message")
        await windows.mark_closed(account_key=ACC, openid=OID)
        assert not await windows.can_send_custom(account_key=ACC, openid=OID)
        await windows.record_interaction(account_key=ACC, openid=OID, kind="subscribe")
        assert await windows.can_send_custom(account_key=ACC, openid=OID)
    finally:
        clock.freeze(None)


async def test_windows_are_per_account(db: None) -> None:
    await windows.record_interaction(account_key=ACC, openid=OID, kind="message", at=T0)
    assert not await windows.can_send_custom(account_key="yx_jiedao", openid=OID, now=T0)
