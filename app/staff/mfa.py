"""The second factor of a staff login (双因素认证): TOTP (RFC 6238, any authenticator app) with
one-time recovery codes. The TOTP secret is stored encrypted (SM4, app.core.crypto); recovery codes
as HMAC-SM3 hashes. ``cryptography``'s TOTP computes and checks the codes.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core import crypto, pii
from app.core.actor import Actor, Role
from app.core.clock import utcnow
from app.core.scope import OrgScope
from app.errors import FawuError, InvalidInput
from app.staff import audit as audit_chain
from app.staff.models import AuditLog, StaffUser

STEP = 30
DIGITS = 6
RECOVERY_CODES = 10
ISSUER = "fawu"


class WrongCode(InvalidInput):
    code = "mfa_wrong_code"
    message_zh = "动态验证码不正确或已使用，请输入认证器应用中当前显示的 6 位数字。"
    status = 401


class TooManyCodes(FawuError):
    code = "mfa_locked"
    message_zh = "动态验证码错误次数过多，请稍后再试或联系安全管理员。"
    status = 423


class NotEnrolling(InvalidInput):
    code = "mfa_not_enrolling"
    message_zh = "请先开始绑定认证器。"


class AlreadyEnrolled(InvalidInput):
    code = "mfa_enrolled"
    message_zh = "已绑定认证器。更换手机请联系安全管理员重置后重新绑定。"


def required_for(role: str) -> bool:
    return str(role) in get_settings().mfa_required_roles


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP, enforce_key_length=True)


def _now() -> float:
    return utcnow().timestamp()


def _recovery_hash(code: str) -> str:
    return crypto.hmac_sm3(crypto.hmac_sm3_key("recovery")[1], code.replace("-", "").strip().lower().encode())


def _who(user: StaffUser) -> Actor:
    return Actor(id=user.id, name=user.name, role=Role(user.role), scope=OrgScope(frozenset()))


async def _audit(**kw: Any) -> None:
    await audit_chain.append(**kw)


async def start_enrolment(*, user: StaffUser) -> dict[str, str]:
    """A new secret (not yet in force): its base32 text and otpauth:// URI for the app's QR scan."""
    if user.totp_enabled_at is not None:  # a new factor only after a security administrator's reset
        raise AlreadyEnrolled()
    secret = os.urandom(20)
    user.totp_secret_enc = pii.encrypt(base64.b32encode(secret).decode())
    await StaffUser.filter(id=user.id).update(totp_secret_enc=user.totp_secret_enc)
    uri = _totp(secret).get_provisioning_uri(user.username, ISSUER)
    return {"secret": base64.b32encode(secret).decode(), "uri": uri}


def _secret(user: StaffUser) -> bytes | None:
    if not user.totp_secret_enc:
        return None
    return base64.b32decode(pii.decrypt(user.totp_secret_enc))


def _matching_step(secret: bytes, code: str) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is, else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = _now()
    for drift in (0, -1, 1):
        t = now + drift * STEP
        try:
            _totp(secret).verify(code.encode(), int(t))
        except InvalidToken:
            continue
        return int(t // STEP)
    return None


async def confirm_enrolment(*, user: StaffUser, code: str, ip: str = "") -> list[str]:
    """Put the new secret in force once the app shows a right code; returns the recovery codes
    (shown once, stored hashed)."""
    secret = _secret(user)
    if secret is None:
        raise NotEnrolling()
    step = _matching_step(secret, code)
    if step is None:
        await _audit(actor=_who(user), action="mfa.enrol_failed", target_type="staff", target_id=user.id, ip=ip,
                     outcome="failed")
        raise WrongCode()
    codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    async with in_transaction():
        await StaffUser.filter(id=user.id).update(totp_enabled_at=utcnow(), totp_last_step=step,
                                                  recovery_codes=[_recovery_hash(c) for c in codes])
        await _audit(actor=_who(user), action="mfa.enrolled", target_type="staff", target_id=user.id, ip=ip)
    await user.refresh_from_db()
    return codes


async def check(*, user: StaffUser, code: str, ip: str = "") -> str:
    """The second step of a login: a current TOTP code (each step once) or an unused recovery code.
    Returns "totp" or "recovery"; WrongCode (401) or TooManyCodes (423, after login_max_failures
    wrong codes within login_lock_minutes). Every outcome is audit-logged."""
    s = get_settings()
    window = utcnow() - timedelta(minutes=s.login_lock_minutes)
    fails = await AuditLog.filter(action="login.mfa_failed", target_id=str(user.id), at__gte=window).count()
    if fails >= s.login_max_failures:
        await _audit(actor=_who(user), action="login.mfa_locked", target_type="staff", target_id=user.id, ip=ip,
                     outcome="denied")
        raise TooManyCodes()
    secret = _secret(user)
    if secret is not None and user.totp_enabled_at is not None:
        step = _matching_step(secret, code)
        if step is not None:
            # compare-and-set: a code (or an older one) already used cannot log in twice
            took = await StaffUser.filter(id=user.id, totp_last_step__lt=step).update(totp_last_step=step)
            if took:
                await _audit(actor=_who(user), action="login.ok", target_type="staff", target_id=user.id, ip=ip,
                             detail={"second_factor": "totp"})
                return "totp"
    h = _recovery_hash(code) if len(code) <= 32 else ""
    if h and h in (user.recovery_codes or []):
        async with in_transaction():
            fresh = await StaffUser.select_for_update().get(id=user.id)
            left = [c for c in (fresh.recovery_codes or []) if c != h]
            if len(left) < len(fresh.recovery_codes or []):
                await StaffUser.filter(id=user.id).update(recovery_codes=left)
                await _audit(actor=_who(user), action="login.ok", target_type="staff", target_id=user.id, ip=ip,
                             detail={"second_factor": "recovery", "recovery_left": len(left)})
                return "recovery"
    await _audit(actor=_who(user), action="login.mfa_failed", target_type="staff", target_id=user.id, ip=ip,
                 outcome="failed")
    raise WrongCode()


async def reset(*, actor: Actor, user: StaffUser, ip: str = "") -> None:
    """Remove an account's second factor (lost phone): they enrol again at next login (security admin)."""
    async with in_transaction():
        await StaffUser.filter(id=user.id).update(totp_secret_enc=None, totp_enabled_at=None, totp_last_step=0,
                                                  recovery_codes=[])
        await _audit(actor=actor, action="mfa.reset", target_type="staff", target_id=user.id, ip=ip)


def current_code(secret_b32: str) -> str:
    """The code an authenticator app shows now (tests and the browser test play the app)."""
    return _totp(base64.b32decode(secret_b32)).generate(int(_now())).decode()
