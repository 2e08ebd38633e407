"""Customer-service windows per follower, kept in the database so every process agrees.

A resident's message opens 48 h for 5 messages; a menu click (click/scancode), subscribe or QR
scan opens 1 minute for 3 messages (a click does not open the 48 h quota). record_interaction is
one UPDATE (plus an INSERT the first time), cheap enough for every inbound message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from app.core.clock import utcnow
from app.db import update_where
from app.wechat.outbound_models import WechatWindow

LONG_WINDOW = timedelta(hours=48)
LONG_QUOTA = 5
SHORT_WINDOW = timedelta(minutes=1)
SHORT_QUOTA = 3
LONG_KINDS = frozenset({"message"})
SHORT_KINDS = frozenset({"click", "subscribe", "scan"})
KINDS = LONG_KINDS | SHORT_KINDS


async def record_interaction(*, account_key: str, openid: str, kind: str, at: datetime | None = None) -> None:
    """A follower interacted: open (reset) the matching window."""
    if kind not in KINDS:
        raise ValueError(f"unknown interaction kind {kind!r}")
    at = at or utcnow()
    values: dict[str, Any]
    if kind in LONG_KINDS:
        values = {"long_until": at + LONG_WINDOW, "long_used": 0, "updated_at": at}
    else:
        values = {"short_until": at + SHORT_WINDOW, "short_used": 0, "updated_at": at}
    # every message of the callback: the UPDATE's SQL written once (app.db.update_where)
    if await update_where(WechatWindow, {"account_key": account_key, "openid": openid}, values):
        return
    try:
        await WechatWindow.create(account_key=account_key, openid=openid, **values)  # type: ignore[arg-type]
    except IntegrityError:
        await WechatWindow.filter(account_key=account_key, openid=openid).update(**values)


def _open(row: WechatWindow | dict[str, Any], now: datetime) -> tuple[bool, bool]:
    if isinstance(row, dict):
        lu, lc, su, sc = row["long_until"], row["long_used"], row["short_until"], row["short_used"]
    else:
        lu, lc, su, sc = row.long_until, row.long_used, row.short_until, row.short_used
    long_open = lu is not None and _aware(lu) > now and int(lc) < LONG_QUOTA
    short_open = su is not None and _aware(su) > now and int(sc) < SHORT_QUOTA
    return long_open, short_open


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


async def window_state(*, account_key: str, openid: str, now: datetime | None = None) -> dict[str, object]:
    """The windows as a dict (for pages and tests): open flags, ends and remaining messages."""
    now = now or utcnow()
    row = await WechatWindow.get_or_none(account_key=account_key, openid=openid)
    if row is None:
        return {"long_open": False, "short_open": False, "long_left": 0, "short_left": 0,
                "long_until": None, "short_until": None}
    long_open, short_open = _open(row, now)
    return {"long_open": long_open, "short_open": short_open,
            "long_left": LONG_QUOTA - row.long_used if long_open else 0,
            "short_left": SHORT_QUOTA - row.short_used if short_open else 0,
            "long_until": row.long_until, "short_until": row.short_until}


async def can_send_custom(*, account_key: str, openid: str, now: datetime | None = None) -> bool:
    """True when a customer-service message may go out now (a window is open with quota left)."""
    now = now or utcnow()
    rows = await WechatWindow.filter(account_key=account_key, openid=openid).values(
        "long_until", "long_used", "short_until", "short_used")
    if not rows:
        return False
    return any(_open(rows[0], now))


async def closed_reason(*, account_key: str, openid: str, now: datetime | None = None) -> int | None:
    """None when open; else WeChat's code: 45047 if a window is current but used up, 45015 otherwise."""
    now = now or utcnow()
    row = await WechatWindow.get_or_none(account_key=account_key, openid=openid)
    if row is None:
        return 45015
    if any(_open(row, now)):
        return None
    current = ((row.long_until and _aware(row.long_until) > now) or
               (row.short_until and _aware(row.short_until) > now))
    return 45047 if current else 45015


async def consume_custom(*, account_key: str, openid: str, now: datetime | None = None) -> bool:
    """Count one sent customer-service message (the 1-minute quota first, it ends sooner).

    Atomic: the UPDATE only matches while quota is left. False when no window had quota.
    """
    now = now or utcnow()
    base = WechatWindow.filter(account_key=account_key, openid=openid)
    n = await base.filter(Q(short_until__gt=now) & Q(short_used__lt=SHORT_QUOTA)).update(
        short_used=F("short_used") + 1)
    if n:
        return True
    n = await base.filter(Q(long_until__gt=now) & Q(long_used__lt=LONG_QUOTA)).update(
        long_used=F("long_used") + 1)
    return n > 0


async def mark_closed(*, account_key: str, openid: str, now: datetime | None = None) -> None:
    """WeChat said 45015/45047: close both windows until the follower's next interaction."""
    now = now or utcnow()
    await WechatWindow.filter(account_key=account_key, openid=openid).update(
        long_until=now, short_until=now, updated_at=now)
