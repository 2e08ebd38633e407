"""Staff accounts: create, find, turn into an Actor; the audit log."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.core.actor import Actor, Role
from app.core.clock import utcnow
from app.core.scope import OrgScope
from app.errors import FawuError, InvalidInput, NotFound
from app.org import service as org_service
from app.staff.models import AuditLog, StaffUser

_hasher = PasswordHasher()
MIN_PASSWORD_LEN = 10


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message_zh = "没有找到该工作人员。"


class WeakPassword(InvalidInput):
    code = "weak_password"
    message_zh = f"密码至少 {MIN_PASSWORD_LEN} 位，且须同时包含字母和数字。"


class LoginFailed(FawuError):
    code = "login_failed"
    message_zh = "用户名或密码不正确。"
    status = 401


class AccountLocked(FawuError):
    code = "account_locked"
    message_zh = "登录失败次数过多，账号已暂时锁定，请稍后再试或联系区管理员。"
    status = 423


class WrongOldPassword(InvalidInput):
    code = "wrong_old_password"
    message_zh = "原密码不正确。"


class PasswordUnchanged(InvalidInput):
    code = "password_unchanged"
    message_zh = "新密码不能与原密码相同。"


class PasswordMismatch(InvalidInput):
    code = "password_mismatch"
    message_zh = "两次输入的新密码不一致。"


class DuplicateUsername(InvalidInput):
    code = "duplicate_username"
    message_zh = "该用户名已被使用。"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash of a random string, verified for unknown usernames so both paths take as long
    (computed once, on first use, in a worker thread: never at import)."""
    return _hasher.hash("fawu-no-such-user-0000")


def _verify_unknown(password: str) -> bool:
    return verify_password(_dummy_hash(), password)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if (len(password) < MIN_PASSWORD_LEN or not any(c.isdigit() for c in password)
            or not any(c.isalpha() for c in password)):
        raise WeakPassword()


async def create_staff(*, username: str, name: str, role: Role, unit_codes: list[str], password: str,
                       must_change_password: bool = True, phone: str = "",
                       supervisor_id: int | None = None) -> StaffUser:
    if await StaffUser.exists(username=username):
        raise DuplicateUsername(f"用户名 {username} 已被使用。")
    password_hash = await asyncio.to_thread(hash_password, password)  # argon2 is slow on purpose
    return await StaffUser.create(
        username=username, name=name, role=role, unit_codes=unit_codes, password_hash=password_hash,
        must_change_password=must_change_password, phone=phone, supervisor_id=supervisor_id,
    )


async def get_staff(staff_id: int) -> StaffUser:
    user = await StaffUser.get_or_none(id=staff_id)
    if user is None:
        raise StaffNotFound()
    return user


async def find_by_username(username: str) -> StaffUser | None:
    return await StaffUser.get_or_none(username=username.strip())


async def supervisor_of(staff_id: int) -> int | None:
    """The id of a staff member's supervisor (reminders go to both), None when none or unknown."""
    user = await StaffUser.get_or_none(id=staff_id)
    return user.supervisor_id if user is not None else None


async def active_staff(*, role: Role, unit_code: str | None) -> list[StaffUser]:
    """Active staff of one role listed on one unit (not its parents), by id."""
    return [u for u in await StaffUser.filter(active=True, role=role).order_by("id")
            if unit_code in (u.unit_codes or [])]


async def actor_for(user: StaffUser) -> Actor:
    scope = await org_service.scope_for(list(user.unit_codes or []))
    return Actor(id=user.id, name=user.name, role=Role(user.role), scope=scope, unit_codes=tuple(user.unit_codes or ()))


async def audit(*, actor: Actor | None, action: str, target_type: str = "", target_id: str | int = "",
                detail: dict[str, Any] | None = None, ip: str = "") -> None:
    await AuditLog.create(
        actor_id=actor.id if actor else None, actor_name=actor.name if actor else "", action=action,
        target_type=target_type, target_id=str(target_id), detail=detail or {}, ip=ip,
    )


async def authenticate(*, username: str, password: str, ip: str = "", max_failures: int,
                       lock_minutes: int) -> StaffUser:
    """Check a login; count failures, lock the account after ``max_failures`` for ``lock_minutes``.

    Every outcome is audit-logged. Raises LoginFailed or AccountLocked (the same message whether
    the username exists or not, so usernames cannot be probed).
    """
    now = utcnow()
    user = await StaffUser.get_or_none(username=username.strip())
    if user is None or not user.active:
        await asyncio.to_thread(_verify_unknown, password)
        await audit(actor=None, action="login.failed", target_type="staff", target_id=username[:64],
                    detail={"reason": "unknown_user" if user is None else "inactive"}, ip=ip)
        raise LoginFailed()
    who = Actor(id=user.id, name=user.name, role=Role(user.role), scope=OrgScope(frozenset()))
    # An expired lock starts the count afresh. Then each attempt reserves one failure atomically
    # *before* the password is checked, so parallel guesses cannot get past the limit.
    await StaffUser.filter(id=user.id, locked_until__lte=now).update(locked_until=None, failed_logins=0)
    reserved = await StaffUser.filter(id=user.id, locked_until__isnull=True, failed_logins__lt=max_failures).update(
        failed_logins=F("failed_logins") + 1)
    if not reserved:
        await StaffUser.filter(id=user.id, locked_until__isnull=True).update(
            locked_until=now + timedelta(minutes=lock_minutes))
        current = await StaffUser.get(id=user.id)
        await audit(actor=who, action="login.refused_locked", target_type="staff", target_id=user.id, ip=ip)
        raise AccountLocked(locked_until=current.locked_until.isoformat() if current.locked_until else "")
    # argon2 is slow on purpose: check it off the event loop
    if not await asyncio.to_thread(verify_password, user.password_hash, password):
        current = await StaffUser.get(id=user.id)
        locked = current.failed_logins >= max_failures
        if locked:
            await StaffUser.filter(id=user.id, locked_until__isnull=True).update(
                locked_until=now + timedelta(minutes=lock_minutes))
        await audit(actor=who, action="login.failed", target_type="staff", target_id=user.id,
                    detail={"failures": current.failed_logins}, ip=ip)
        if locked:
            await audit(actor=who, action="login.locked", target_type="staff", target_id=user.id,
                        detail={"failures": current.failed_logins, "minutes": lock_minutes}, ip=ip)
            raise AccountLocked()
        raise LoginFailed()
    await StaffUser.filter(id=user.id).update(failed_logins=0, last_login_at=now)
    await user.refresh_from_db()
    await audit(actor=who, action="login.ok", target_type="staff", target_id=user.id, ip=ip)
    return user


async def change_password(*, staff_id: int, old_password: str, new_password: str, confirm: str | None = None,
                          ip: str = "") -> StaffUser:
    """Change one's own password (also ends a forced change of the demo password)."""
    user = await get_staff(staff_id)
    # argon2 is slow on purpose: off the event loop
    if not await asyncio.to_thread(verify_password, user.password_hash, old_password):
        raise WrongOldPassword()
    if confirm is not None and confirm != new_password:
        raise PasswordMismatch()
    if new_password == old_password:
        raise PasswordUnchanged()
    check_password_strength(new_password)
    new_hash = await asyncio.to_thread(hash_password, new_password)
    actor = await actor_for(user)
    async with in_transaction():  # the new password and its audit entry, or neither
        user.password_hash = new_hash
        user.must_change_password = False
        await user.save(update_fields=["password_hash", "must_change_password"])
        await audit(actor=actor, action="password.changed", target_type="staff", target_id=user.id, ip=ip)
    return user


async def unlock(*, actor: Actor, staff_id: int) -> StaffUser:
    """Lift a login lock (district administrator)."""
    user = await get_staff(staff_id)
    user.failed_logins = 0
    user.locked_until = None
    await user.save(update_fields=["failed_logins", "locked_until"])
    await audit(actor=actor, action="login.unlocked", target_type="staff", target_id=user.id)
    return user


async def list_staff(*, actor: Actor) -> list[StaffUser]:
    """Active staff sharing at least one unit with the actor's scope (for assigning cases)."""
    users = await StaffUser.filter(active=True).order_by("id")
    if actor.scope.all_units:
        return list(users)
    out = []
    for u in users:
        scope = await org_service.scope_for(list(u.unit_codes or []))
        if scope.all_units or scope.unit_codes & actor.scope.unit_codes:
            out.append(u)
    return out


# The demo district's staff (created by ``fawu staff demo`` and at start-up in demo mode). Every
# account must change this password at first login.
DEMO_PASSWORD = "fawu-demo-2026"


async def demo_staff_plan() -> list[dict[str, Any]]:
    """The demo accounts for the imported org tree: admin, one clerk per township, lawyer, supervisor."""
    tree = await org_service.tree()
    district = next((u for u in tree.values() if u.kind == "district"), None)
    if district is None:
        return []
    plan: list[dict[str, Any]] = [
        {"username": "admin", "name": "区管理员", "role": Role.DISTRICT_ADMIN, "unit_codes": [district.code]},
    ]
    townships = sorted((u for u in tree.values() if u.kind == "township"), key=lambda u: u.code)
    for t in townships:
        plan.append({"username": t.code.lower(), "name": f"{t.name}工作人员", "role": Role.TOWNSHIP_STAFF,
                     "unit_codes": [t.code]})
    if townships:
        first = townships[0]
        communities = sorted(c for c in first.descendants if tree[c].kind == "community")[:2]
        plan.append({"username": "lawyer", "name": "法律顾问", "role": Role.LAWYER,
                     "unit_codes": communities or [first.code]})
    plan.append({"username": "supervisor", "name": "督导", "role": Role.SUPERVISOR, "unit_codes": [district.code]})
    return plan


async def ensure_demo_staff(*, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo accounts (must change password) when no staff exists; returns usernames created."""
    if await StaffUser.exists():
        return []
    created = []
    for spec in await demo_staff_plan():
        await create_staff(password=password, must_change_password=True, **spec)
        created.append(spec["username"])
    return created


async def load_demo_staff() -> list[str]:
    """Start-up hook in demo mode: the demo accounts when the database has no staff yet.

    Safe with several workers starting together (a concurrent creation is logged and ignored).
    """
    try:
        created = await ensure_demo_staff()
    except (IntegrityError, DuplicateUsername):
        return []
    if created:
        logging.getLogger("fawu.staff").info(
            "demo staff created: %s (initial password in README, must be changed at first login)",
            ", ".join(created))
    return created


async def recent_audit(*, limit: int = 200, action_prefix: str = "") -> list[AuditLog]:
    """The newest audit entries (optionally one kind: "login.", "resident.reveal")."""
    qs = AuditLog.all()
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    return await qs.order_by("-id").limit(max(1, min(limit, 1000)))
