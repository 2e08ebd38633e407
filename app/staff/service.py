"""Staff accounts: create, find, turn into an Actor; the audit log."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.actor import Actor, Role
from app.core.scope import OrgScope
from app.errors import InvalidInput, NotFound
from app.staff.models import AuditLog, StaffUser

_hasher = PasswordHasher()
MIN_PASSWORD_LEN = 10


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message_zh = "没有找到该工作人员。"


class WeakPassword(InvalidInput):
    code = "weak_password"
    message_zh = f"密码至少 {MIN_PASSWORD_LEN} 位，且须同时包含字母和数字。"


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
    return await StaffUser.create(
        username=username, name=name, role=role, unit_codes=unit_codes, password_hash=hash_password(password),
        must_change_password=must_change_password, phone=phone, supervisor_id=supervisor_id,
    )


async def get_staff(staff_id: int) -> StaffUser:
    user = await StaffUser.get_or_none(id=staff_id)
    if user is None:
        raise StaffNotFound()
    return user


async def actor_for(user: StaffUser) -> Actor:
    scope = await OrgScope.for_units(list(user.unit_codes or []))
    return Actor(id=user.id, name=user.name, role=Role(user.role), scope=scope, unit_codes=tuple(user.unit_codes or ()))


async def audit(*, actor: Actor | None, action: str, target_type: str = "", target_id: str | int = "",
                detail: dict[str, Any] | None = None, ip: str = "") -> None:
    await AuditLog.create(
        actor_id=actor.id if actor else None, actor_name=actor.name if actor else "", action=action,
        target_type=target_type, target_id=str(target_id), detail=detail or {}, ip=ip,
    )
