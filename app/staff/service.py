"""Staff accounts: create, find, turn into an Actor; the audit log."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core import crypto, metrics, pii
from app.core.actor import ADMIN_ROLES, LEVEL_ZH, ROLE_ZH, Actor, Role
from app.core.clock import utcnow
from app.core.retry import retry_transaction
from app.core.scope import OrgScope
from app.errors import FawuError, Forbidden, InvalidInput, NotFound
from app.org import service as org_service
from app.staff import audit as audit_chain
from app.staff import mfa, signing
from app.staff.audit import TooEarlyToArchive, Verdict
from app.staff.models import AuditLog, LoginAttempt, SigningKey, StaffUser

_hasher = PasswordHasher()
MIN_PASSWORD_LEN = 10  # the least password_min_length may be set to is 8; the default is 10

__all__ = ["TooEarlyToArchive", "Verdict"]

# 三权分立 and least privilege: what each role may do, checked by ``require_right`` in the services
# (and by the console's ``require_right`` dependency). Residents' data is further limited by each
# actor's OrgScope: the three administrators' scope is empty, so no query of theirs returns any.
RIGHTS: dict[Role, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({"residents.read", "residents.reveal", "cases.work", "cases.export",
                                    "staff.view", "jobs.manage", "booking.services"}),
    Role.TOWNSHIP_STAFF: frozenset({"residents.read", "residents.reveal", "cases.work", "cases.export"}),
    Role.LAWYER: frozenset({"residents.read", "residents.reveal", "cases.work", "cases.export"}),
    Role.MEDIATOR: frozenset({"residents.read", "residents.reveal", "cases.work", "cases.export"}),
    Role.SUPERVISOR: frozenset({"residents.read", "cases.read", "cases.export", "staff.view"}),
    Role.SYSTEM_ADMIN: frozenset({"staff.view", "staff.accounts", "jobs.manage"}),
    Role.SECURITY_ADMIN: frozenset({"staff.view", "staff.roles", "staff.mfa_reset"}),
    Role.AUDIT_ADMIN: frozenset({"audit.read", "audit.verify", "audit.export"}),
}
RIGHT_ZH = {
    "residents.read": "查看居民信息（脱敏）", "residents.reveal": "查看完整号码（留痕）", "cases.work": "办理案件",
    "cases.read": "查看案件（只读）", "cases.export": "导出数据", "staff.view": "查看工作人员名单",
    "staff.accounts": "账号管理（新建、停用、解锁）", "staff.roles": "角色分配", "staff.mfa_reset": "重置双因素认证",
    "audit.read": "查阅审计日志", "audit.verify": "校验审计日志", "audit.export": "导出审计日志",
    "jobs.manage": "后台任务（查看失败任务、重新执行）", "booking.services": "预约事项设置（时长、人数、材料、依据）",
}


class NotPermitted(Forbidden):
    code = "not_permitted"
    message_zh = "您的角色无权进行此操作。"


def has_right(actor: Actor, right: str) -> bool:
    return right in RIGHTS.get(actor.role, frozenset())


def require_right(actor: Actor, right: str) -> None:
    """Raise NotPermitted unless the actor's role has this right (system actions have every right)."""
    if actor.id == 0 and actor.name == "系统":
        return
    if not has_right(actor, right):
        raise NotPermitted()


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message_zh = "没有找到该工作人员。"


class WeakPassword(InvalidInput):
    code = "weak_password"
    message_zh = f"密码至少 {MIN_PASSWORD_LEN} 位，且须包含小写字母、大写字母、数字、其他字符中的至少 3 种。"


class PasswordReused(InvalidInput):
    code = "password_reused"
    message_zh = "新密码不能与最近用过的密码相同。"


class OwnAccount(Forbidden):
    code = "own_account"
    message_zh = "不能修改自己账号的角色或状态，请由另一位管理员操作。"


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


def password_rule_zh() -> str:
    s = get_settings()
    return (f"密码至少 {s.password_min_length} 位，且须包含小写字母、大写字母、数字、其他字符中的至少 "
            f"{s.password_min_classes} 种。")


def check_password_strength(password: str) -> None:
    """The configured policy: length and character classes (lower, upper, digit, other)."""
    s = get_settings()
    classes = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))
    if len(password) < s.password_min_length or classes < s.password_min_classes:
        raise WeakPassword(password_rule_zh())


def password_expired(user: StaffUser) -> bool:
    days = get_settings().password_max_age_days
    since = user.password_changed_at or user.created_at
    return bool(days and since and since < utcnow() - timedelta(days=days))


def dormant(user: StaffUser) -> bool:
    days = get_settings().staff_dormant_days
    since = user.last_login_at or user.created_at
    return bool(days and since and since < utcnow() - timedelta(days=days))


async def create_staff(*, username: str, name: str, role: Role, unit_codes: list[str], password: str,
                       must_change_password: bool = True, phone: str = "",
                       supervisor_id: int | None = None) -> StaffUser:
    if await StaffUser.exists(username=username):
        raise DuplicateUsername(f"用户名 {username} 已被使用。")
    password_hash = await asyncio.to_thread(hash_password, password)  # argon2 is slow on purpose
    now = utcnow()
    return await StaffUser.create(
        username=username, name=name, role=role, unit_codes=unit_codes, password_hash=password_hash,
        must_change_password=must_change_password, phone=phone, supervisor_id=supervisor_id,
        created_at=now, password_changed_at=now,
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
    role = Role(user.role)
    if role in ADMIN_ROLES:  # the three administrators see no residents' data: an empty scope
        scope = OrgScope(frozenset())
    else:
        scope = await org_service.scope_for(list(user.unit_codes or []))
    return Actor(id=user.id, name=user.name, role=role, scope=scope, unit_codes=tuple(user.unit_codes or ()),
                 clearance=int(user.clearance))


async def audit(*, actor: Actor | None, action: str, target_type: str = "", target_id: str | int = "",
                detail: dict[str, Any] | None = None, ip: str = "", outcome: str = "ok") -> None:
    """One sealed entry of the audit log: time, actor (and role), action, object, client address, outcome."""
    await audit_chain.append(actor=actor, action=action, target_type=target_type, target_id=target_id,
                             detail=detail, ip=ip, outcome=outcome)


async def audit_shown(*, actor: Actor, page: str, shown: list[tuple[str, int | str]], ip: str = "",
                      detail: dict[str, Any] | None = None) -> int:
    """等保 audit of a list page that shows residents' personal data (the inbox, a day's bookings, survey
    reviews): one sealed ``<kind>.listed`` entry per resident (or booking, case) shown, so the audit
    administrator finds every page that showed one resident by its id, like ``resident.viewed``."""
    seen: set[tuple[str, str]] = set()
    entries: list[tuple[str, str, str | int, dict[str, Any]]] = []
    for kind, ident in shown:
        key = (kind, str(ident))
        if key in seen:
            continue
        seen.add(key)
        entries.append((f"{kind}.listed", kind, ident, {"page": page, **(detail or {})}))
    return await audit_chain.append_many(actor=actor, entries=entries, ip=ip)


def account_key(username: str) -> str:
    """A keyed hash of a typed account name: counts failures per name without storing the text."""
    return pii.lookup_hash("login:" + username.strip().lower())


def device_token(username: str) -> str:
    """A signed token a browser keeps after logging in: "this browser has logged in to this account".

    It gives the browser its own failure count and lets it past the account-wide backstop."""
    signer = URLSafeSerializer(get_settings().secret_key.get_secret_value(), salt="fawu-login-device")
    return signer.dumps({"a": account_key(username)[:32], "d": secrets.token_hex(12)})


def trusted_device(username: str, token: str | None) -> str | None:
    """The device id of a valid token for this account name, else None."""
    if not token or len(token) > 200:
        return None
    signer = URLSafeSerializer(get_settings().secret_key.get_secret_value(), salt="fawu-login-device")
    try:
        data = signer.loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != account_key(username)[:32]:
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device.isalnum() else None


async def _attempt_row(key: str, client: str, now: Any) -> LoginAttempt:
    for _ in range(3):
        row = await LoginAttempt.get_or_none(account_key=key, client=client)
        if row is not None:
            return row
        try:
            return await LoginAttempt.create(account_key=key, client=client, updated_at=now)
        except IntegrityError:  # another attempt created it at the same moment
            continue
    return await LoginAttempt.get(account_key=key, client=client)


async def _mirror(username: str, key: str, now: Any) -> None:
    """Show the account's state on its staff row (failures of every client, the latest lock), for
    the administrators' list; the decisions are made on LoginAttempt rows."""
    rows = await LoginAttempt.filter(account_key=key).values_list("failures", "locked_until")
    failures = sum(f for f, _ in rows)
    locks = [u for _, u in rows if u is not None and u > now]
    if len(username) <= USERNAME_MAX:
        await StaffUser.filter(username=username).update(failed_logins=failures, locked_until=max(locks, default=None))


USERNAME_MAX = 32  # StaffUser.username


async def authenticate(*, username: str, password: str, ip: str = "", max_failures: int,
                       lock_minutes: int, client: str = "", device: str | None = None,
                       account_max_failures: int | None = None) -> StaffUser:
    """See ``_authenticate``; a statement MariaDB picks as a deadlock victim (1213, parallel logins
    on one account) is retried: every step before the password check is safe to redo."""
    return await retry_transaction(what="login", fn=lambda: _authenticate(
        username=username, password=password, ip=ip, max_failures=max_failures, lock_minutes=lock_minutes,
        client=client, device=device, account_max_failures=account_max_failures))


async def _authenticate(*, username: str, password: str, ip: str = "", max_failures: int,
                        lock_minutes: int, client: str = "", device: str | None = None,
                        account_max_failures: int | None = None) -> StaffUser:
    """Check a login; raise LoginFailed (401) or AccountLocked (423), the same way for unknown and
    real names (the same queries and one argon2 check each), so an outsider cannot tell them apart.

    Failures are counted per (name, client): ``client`` is the caller's address (hashed) unless
    ``device`` is the id of a browser that logged in to this name before (``trusted_device``).
    After ``max_failures`` that client is locked out of that name for ``lock_minutes``; others are
    not. Backstop: after ``account_max_failures`` failures on the name from all clients together,
    only trusted devices may still try, so spread guessing stops while the clerk's own browser
    keeps working. Every outcome is audit-logged.
    """
    now = utcnow()
    name = username.strip()
    key = account_key(name)
    who_client = f"device:{device}" if device else f"ip:{client or ip}"[:64]
    user = await StaffUser.get_or_none(username=name) if 0 < len(name) <= USERNAME_MAX else None
    if user is not None and user.active and dormant(user):
        # 等保: an account unused for staff_dormant_days is disabled (a system administrator re-enables it)
        await StaffUser.filter(id=user.id).update(active=False, disabled_reason="dormant")
        user.active = False
        await audit(actor=None, action="staff.disabled_dormant", target_type="staff", target_id=user.id,
                    detail={"days": get_settings().staff_dormant_days}, ip=ip)
    known = user is not None and user.active
    who = Actor(id=user.id, name=user.name, role=Role(user.role), scope=OrgScope(frozenset())) if known and user else None
    target = user.id if known and user else name[:64]
    window = now - timedelta(minutes=lock_minutes)

    if account_max_failures is not None and device is None:
        recent = await LoginAttempt.filter(account_key=key, updated_at__gte=window).values_list("failures")
        if sum(int(r[0]) for r in recent) >= account_max_failures:
            await asyncio.to_thread(_verify_unknown, password)  # the same time as any answer
            await audit(actor=who, action="login.refused_backstop", target_type="staff", target_id=target, ip=ip,
                        outcome="denied")
            metrics.login_refused.labels("backstop").inc()
            raise AccountLocked()

    row = await _attempt_row(key, who_client, now)
    # An expired lock, or failures older than the lock period, start the count afresh. Then each
    # attempt reserves one failure atomically *before* the password is checked, so parallel
    # guesses cannot get past the limit.
    await LoginAttempt.filter(id=row.id, locked_until__lte=now).update(locked_until=None, failures=0)
    await LoginAttempt.filter(id=row.id, locked_until__isnull=True, updated_at__lt=window).update(failures=0)
    reserved = await LoginAttempt.filter(id=row.id, locked_until__isnull=True, failures__lt=max_failures).update(
        failures=F("failures") + 1, updated_at=now)
    if not reserved:
        await LoginAttempt.filter(id=row.id, locked_until__isnull=True).update(
            locked_until=now + timedelta(minutes=lock_minutes))
        await asyncio.to_thread(_verify_unknown, password)
        await _mirror(name, key, now)
        await audit(actor=who, action="login.refused_locked", target_type="staff", target_id=target, ip=ip,
                    outcome="denied")
        metrics.login_refused.labels("locked").inc()
        raise AccountLocked()
    # argon2 is slow on purpose: check it off the event loop (a dummy hash for unknown names)
    if known and user:
        ok = await asyncio.to_thread(verify_password, user.password_hash, password)
    else:
        await asyncio.to_thread(_verify_unknown, password)  # as long as a real check
        ok = False
    if not (ok and known and user):
        current = await LoginAttempt.get(id=row.id)
        locked = current.failures >= max_failures
        if locked:
            await LoginAttempt.filter(id=row.id, locked_until__isnull=True).update(
                locked_until=now + timedelta(minutes=lock_minutes))
        await _mirror(name, key, now)
        detail: dict[str, Any] = {"failures": current.failures}
        if not known:
            detail["reason"] = "unknown_user" if user is None else "inactive"
        await audit(actor=who, action="login.failed", target_type="staff", target_id=target, detail=detail, ip=ip,
                    outcome="failed")
        if locked:
            await audit(actor=who, action="login.locked", target_type="staff", target_id=target,
                        detail={"failures": current.failures, "minutes": lock_minutes}, ip=ip, outcome="denied")
            metrics.login_refused.labels("locked").inc()
            raise AccountLocked()
        metrics.login_refused.labels("failed").inc()
        raise LoginFailed()
    await LoginAttempt.filter(id=row.id).delete()
    await _mirror(name, key, now)
    await StaffUser.filter(id=user.id).update(last_login_at=now)
    if password_expired(user) and not user.must_change_password:
        await StaffUser.filter(id=user.id).update(must_change_password=True)
        await audit(actor=who, action="password.expired", target_type="staff", target_id=user.id, ip=ip,
                    detail={"max_age_days": get_settings().password_max_age_days})
    await user.refresh_from_db()
    if user.totp_enabled_at is not None:  # the second factor comes next (app/staff/mfa.py)
        await audit(actor=who, action="login.password_ok", target_type="staff", target_id=user.id, ip=ip,
                    detail={"second_factor": "pending"})
    else:
        await audit(actor=who, action="login.ok", target_type="staff", target_id=user.id, ip=ip,
                    detail={"second_factor": "none"})
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
    keep = get_settings().password_history
    history = list(user.password_history or [])[-keep:] if keep else []
    for old_hash in history:
        if await asyncio.to_thread(verify_password, old_hash, new_password):
            raise PasswordReused()
    new_hash = await asyncio.to_thread(hash_password, new_password)
    actor = await actor_for(user)
    async with in_transaction():  # the new password and its audit entry, or neither
        user.password_history = (history + [user.password_hash])[-keep:] if keep else []
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = utcnow()
        await user.save(update_fields=["password_hash", "must_change_password", "password_changed_at",
                                       "password_history"])
        await audit(actor=actor, action="password.changed", target_type="staff", target_id=user.id, ip=ip)
    return user


async def unlock(*, actor: Actor, staff_id: int, ip: str = "") -> StaffUser:
    """Lift every login lock of an account, from every client (system administrator)."""
    require_right(actor, "staff.accounts")
    user = await get_staff(staff_id)
    await LoginAttempt.filter(account_key=account_key(user.username)).delete()
    user.failed_logins = 0
    user.locked_until = None
    await user.save(update_fields=["failed_logins", "locked_until"])
    await audit(actor=actor, action="login.unlocked", target_type="staff", target_id=user.id, ip=ip)
    return user


async def all_staff(*, actor: Actor) -> list[StaffUser]:
    """Every account, active or not (the administrators' staff page)."""
    if not (has_right(actor, "staff.accounts") or has_right(actor, "staff.roles")):
        raise NotPermitted()
    return list(await StaffUser.all().order_by("id"))


async def set_active(*, actor: Actor, staff_id: int, active: bool, ip: str = "") -> StaffUser:
    """Disable or re-enable an account (system administrator; never their own)."""
    require_right(actor, "staff.accounts")
    user = await get_staff(staff_id)
    if user.id == actor.id:
        raise OwnAccount()
    async with in_transaction():
        user.active = active
        user.disabled_reason = "" if active else "admin"
        if active:  # re-enabled: dormancy counts afresh
            user.last_login_at = utcnow()
        await user.save(update_fields=["active", "disabled_reason", "last_login_at"])
        await audit(actor=actor, action="staff.enabled" if active else "staff.disabled", target_type="staff",
                    target_id=user.id, ip=ip)
    return user


async def set_role(*, actor: Actor, staff_id: int, role: Role, ip: str = "") -> StaffUser:
    """Give an account another role (security administrator; never their own, so no one gives
    themselves a second set of rights: an account has exactly one role)."""
    require_right(actor, "staff.roles")
    user = await get_staff(staff_id)
    if user.id == actor.id:
        raise OwnAccount()
    old = Role(user.role)
    if old == role:
        return user
    async with in_transaction():
        user.role = role
        await user.save(update_fields=["role"])
        await audit(actor=actor, action="staff.role_changed", target_type="staff", target_id=user.id, ip=ip,
                    detail={"from": old.value, "to": role.value})
    return user


async def set_clearance(*, actor: Actor, staff_id: int, level: int, ip: str = "") -> StaffUser:
    """安全标记: the highest level of residents' data an account reads (security administrator; never
    their own)."""
    require_right(actor, "staff.roles")
    if level not in LEVEL_ZH:
        raise InvalidInput("未知的密级。")
    user = await get_staff(staff_id)
    if user.id == actor.id:
        raise OwnAccount()
    old = int(user.clearance)
    if old == level:
        return user
    async with in_transaction():
        user.clearance = level
        await user.save(update_fields=["clearance"])
        await audit(actor=actor, action="staff.clearance_changed", target_type="staff", target_id=user.id, ip=ip,
                    detail={"from": old, "to": level})
    return user


def level_names() -> dict[int, str]:
    return dict(LEVEL_ZH)


async def disable_dormant(*, actor: Actor) -> list[str]:
    """Disable every active account unused for ``staff_dormant_days`` (a schedule and a command)."""
    out = []
    for user in await StaffUser.filter(active=True):
        if dormant(user):
            await StaffUser.filter(id=user.id).update(active=False, disabled_reason="dormant")
            await audit(actor=actor, action="staff.disabled_dormant", target_type="staff", target_id=user.id,
                        detail={"days": get_settings().staff_dormant_days})
            out.append(user.username)
    return out


def role_names() -> dict[str, str]:
    return {r.value: z for r, z in ROLE_ZH.items()}


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
DEMO_ADMINS = (("sysadmin", Role.SYSTEM_ADMIN), ("secadmin", Role.SECURITY_ADMIN), ("auditor", Role.AUDIT_ADMIN))


async def demo_staff_plan() -> list[dict[str, Any]]:
    """The demo accounts for the imported org tree: admin, one clerk per township, lawyer, supervisor,
    and the three administrators (sysadmin, secadmin, auditor)."""
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
    # 三员分立: the system, security and audit administrators, one account each (TOTP at first login)
    plan += [{"username": username, "name": ROLE_ZH[role], "role": role, "unit_codes": [district.code]}
             for username, role in DEMO_ADMINS]
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


@dataclass(frozen=True)
class AuditQuery:
    """What the audit administrator asks of the log: one kind of action, one resident (or other
    object), one staff member, a time window (UTC). Empty fields ask nothing."""

    action_prefix: str = ""
    target_type: str = ""
    target_id: str = ""
    actor: str = ""  # a staff member's username or name
    since: datetime | None = None
    until: datetime | None = None

    async def apply(self, qs: Any) -> Any:
        if self.action_prefix:
            qs = qs.filter(action__startswith=self.action_prefix)
        if self.target_type:
            qs = qs.filter(target_type=self.target_type)
        if self.target_id:
            qs = qs.filter(target_id=self.target_id)
        if self.actor:
            ids = await StaffUser.filter(username=self.actor).values_list("id", flat=True)
            qs = qs.filter(Q(actor_name=self.actor) | Q(actor_id__in=list(ids) or [-1]))
        if self.since:
            qs = qs.filter(at__gte=self.since)
        if self.until:
            qs = qs.filter(at__lt=self.until)
        return qs


async def recent_audit(*, actor: Actor | None = None, limit: int = 200, action_prefix: str = "",
                       query: AuditQuery | None = None) -> list[AuditLog]:
    """The newest audit entries (optionally one kind: "login.", "resident.reveal", or a whole query:
    every view of one resident's data). A staff actor must be the audit administrator; ``None`` is the
    server itself (commands, tests), never a page."""
    if actor is not None:
        require_right(actor, "audit.read")
    q = query or AuditQuery(action_prefix=action_prefix)
    qs = await q.apply(AuditLog.all())
    return await qs.order_by("-id").limit(max(1, min(limit, 1000)))


async def verify_audit(*, actor: Actor) -> Verdict:
    """Check the audit log's hash chain (audit administrator, and ``fawu audit verify``)."""
    require_right(actor, "audit.verify")
    return await audit_chain.verify()


async def export_audit(*, actor: Actor, ip: str = "", query: AuditQuery | None = None) -> AsyncIterator[str]:
    """The audit log as JSON Lines for the assessor (the export itself is audited); with a query, only
    its entries (each line keeps its chain fields, so they are still checked against the whole chain)."""
    require_right(actor, "audit.export")
    detail: dict[str, Any] = {}
    seqs: set[int] | None = None
    if query is not None and query != AuditQuery():
        detail = {k: (str(v) if v is not None else "") for k, v in vars(query).items() if v}
        qs = await query.apply(AuditLog.filter(seq__isnull=False))
        seqs = {int(x) for x in await qs.values_list("seq", flat=True)}
    await audit(actor=actor, action="audit.exported", target_type="audit", ip=ip, detail=detail)
    return audit_chain.export_lines(only=seqs)


async def archive_audit(*, actor: Actor, before: Any, write: Any) -> dict[str, Any]:
    """Archive entries older than ``before`` (never younger than ``audit_retention_days``)."""
    require_right(actor, "audit.export")
    return await audit_chain.archive(before=before, actor=actor, write=write)


# The second factor (app/staff/mfa.py), re-exported as this domain's public surface.
mfa_required_for = mfa.required_for
mfa_start_enrolment = mfa.start_enrolment
mfa_confirm_enrolment = mfa.confirm_enrolment
mfa_check = mfa.check
mfa_current_code = mfa.current_code
MfaWrongCode = mfa.WrongCode
MfaTooManyCodes = mfa.TooManyCodes


async def reset_mfa(*, actor: Actor, staff_id: int, ip: str = "") -> StaffUser:
    """Remove an account's second factor (security administrator; never their own)."""
    require_right(actor, "staff.mfa_reset")
    user = await get_staff(staff_id)
    if user.id == actor.id:
        raise OwnAccount()
    await mfa.reset(actor=actor, user=user, ip=ip)
    return await get_staff(staff_id)


def export_digest(body: bytes) -> dict[str, str]:
    """The SM3 digest of an exported file and its HMAC-SM3 under the active data key ("export")."""
    kid, key = crypto.hmac_sm3_key("export")
    return {"sm3": crypto.sm3_hex(body), "hmac_sm3": f"{kid}:{crypto.hmac_sm3(key, body)}"}


async def default_password_accounts() -> list[StaffUser]:
    """Active accounts still on the published demo password (only those never changed are checked)."""
    out = []
    for user in await StaffUser.filter(active=True, must_change_password=True).order_by("id"):
        if await asyncio.to_thread(verify_password, user.password_hash, DEMO_PASSWORD):
            out.append(user)
    return out


async def disable_default_accounts(*, actor: Actor) -> list[str]:
    """Outside demo mode no account may be used with the published password: each is disabled
    (a system administrator re-enables it after setting a password with ``fawu staff``)."""
    names = []
    for user in await default_password_accounts():
        await StaffUser.filter(id=user.id).update(active=False, disabled_reason="default_password")
        await audit(actor=actor, action="staff.disabled", target_type="staff", target_id=user.id,
                    detail={"reason": "default_password"})
        names.append(user.username)
    if names:
        logging.getLogger("fawu.staff").warning(
            "accounts with the published demo password disabled (demo = false): %s", ", ".join(names))
    return names


def _setting_digest(value: Any) -> str:
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    return crypto.sm3_hex(json.dumps(raw, default=str, sort_keys=True, ensure_ascii=False).encode())[:16]


async def record_configuration(settings: Any) -> list[str]:
    """At each server start: the settings' digests (one per key; values never written, secrets
    included) compared with the last start's; a change is an audit entry ``config.changed`` naming the
    keys. Returns the changed keys (every key at the first start)."""
    digests = {name: _setting_digest(getattr(settings, name)) for name in sorted(type(settings).model_fields)}
    last = await AuditLog.filter(action__in=["config.loaded", "config.changed"]).order_by("-id").first()
    found = last.detail.get("digests") if last is not None else None
    before: dict[str, Any] = found if isinstance(found, dict) else {}
    changed = sorted(k for k in set(digests) | set(before) if digests.get(k) != before.get(k))
    if last is None:
        await audit(actor=None, action="config.loaded", target_type="config", detail={"digests": digests})
    elif changed:
        await audit(actor=None, action="config.changed", target_type="config",
                    detail={"keys": changed, "digests": digests})
    return changed


# Personal SM2 signatures (app/staff/signing.py): enrolment, signing of significant actions, checks.
SigningNotEnrolled = signing.NotEnrolled
SigningWrongPin = signing.WrongPin
SigningWeakPin = signing.WeakPin
Signature = signing.Signature


class PinMismatch(InvalidInput):
    code = "signing_pin_mismatch"
    message_zh = "两次输入的签名口令不一致。"


async def signing_key(*, actor: Actor) -> SigningKey | None:
    """The actor's active signing key (its fingerprint and creation shown on their page)."""
    return await signing.active_key(actor.id)


async def enrol_signing_key(*, actor: Actor, pin: str, confirm: str, ip: str = "") -> SigningKey:
    """Generate the actor's SM2 key pair, protected by a signing PIN they choose (never their password)."""
    if pin != confirm:
        raise PinMismatch()
    user = await get_staff(actor.id)
    return await signing.enrol(actor=actor, pin=pin, password_hash=user.password_hash, ip=ip)


async def sign_action(*, actor: Actor, pin: str, action: str, target_type: str, target_id: str | int,
                      detail: dict[str, Any]) -> signing.Signature | None:
    """The actor's signature of one significant action: required when the action is listed in
    ``signed_actions`` (NotEnrolled / WrongPin otherwise), made whenever a PIN is given, else None."""
    if actor.id == 0:  # the server itself (commands, schedules) signs nothing
        return None
    if not pin and action not in get_settings().signed_actions:
        return None
    return await signing.sign(actor=actor, pin=pin, action=action, target_type=target_type, target_id=target_id,
                              detail=detail)


async def signature_checks(*, actor: Actor, entries: list[AuditLog]) -> dict[int, bool]:
    """For the audit administrator's view: each signed entry's verdict (by entry id)."""
    require_right(actor, "audit.read")
    out: dict[int, bool] = {}
    for e in entries:
        verdict = await signing.verify_entry(e)
        if verdict is not None:
            out[e.id] = verdict
    return out
