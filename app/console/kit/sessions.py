"""Server-side console sessions: create on login, look up by cookie token, end on logout."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.config import get_settings
from app.console.kit.models import ConsoleSession
from app.core.clock import utcnow
from app.staff import service as staff_service

# last_seen_at is refreshed at most this often (not a write per request); the idle timeout is
# therefore exact to this much.
_TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionInfo:
    """A valid session and its staff member."""

    session: ConsoleSession
    staff: Any  # the StaffUser row, from staff.service


async def create_session(*, staff_id: int, max_age: int, ip: str = "", user_agent: str = "") -> tuple[str, str]:
    """A new session for a staff member; returns (cookie token, CSRF token)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await ConsoleSession.create(
        token_hash=_hash(token), staff_id=staff_id, csrf_token=csrf, ip=ip[:64], user_agent=user_agent[:200],
        last_seen_at=now, expires_at=now + timedelta(seconds=max_age),
    )
    return token, csrf


async def get_session(token: str | None) -> SessionInfo | None:
    """The live session behind a cookie token, or None (expired, logged out, staff deactivated)."""
    if not token or len(token) > 128:
        return None
    row = await ConsoleSession.get_or_none(token_hash=_hash(token))
    if row is None:
        return None
    now = utcnow()
    if row.expires_at <= now:  # absolute timeout (session_max_age)
        await row.delete()
        return None
    if now - row.last_seen_at > timedelta(minutes=get_settings().session_idle_minutes):  # idle timeout
        await row.delete()
        await staff_service.audit(actor=None, action="session.idle_timeout", target_type="staff",
                                  target_id=row.staff_id, ip=row.ip)
        return None
    try:
        staff = await staff_service.get_staff(row.staff_id)
    except staff_service.StaffNotFound:
        staff = None
    if staff is None or not staff.active:
        await row.delete()
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        await ConsoleSession.filter(id=row.id).update(last_seen_at=now)
    return SessionInfo(session=row, staff=staff)


async def end_session(token: str | None) -> None:
    if token:
        await ConsoleSession.filter(token_hash=_hash(token)).delete()


async def end_other_sessions(*, staff_id: int, keep_token: str | None) -> int:
    """After a password change: every other browser of this staff member is logged out."""
    qs = ConsoleSession.filter(staff_id=staff_id)
    if keep_token:
        qs = qs.exclude(token_hash=_hash(keep_token))
    return await qs.delete()


async def purge_expired() -> int:
    return await ConsoleSession.filter(expires_at__lte=utcnow()).delete()
