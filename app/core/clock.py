"""The one clock: UTC inside, Asia/Shanghai at the edges. Tests may freeze it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (frozen in tests when set)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Freeze the clock at a moment (tests); None unfreezes."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC) if at is not None else None


def to_local(dt: datetime) -> datetime:
    """Show a stored UTC time in Asia/Shanghai."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(LOCAL_TZ)


def local_today() -> date:
    return to_local(utcnow()).date()


def format_local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as residents and staff read it (北京时间)."""
    if dt is None:
        return ""
    return to_local(dt).strftime(fmt)
