"""Personal SM2 signatures (电子签名, GB/T 32918 SM2 with SM3, default user id): each staff member signs
significant actions (closing a case, approving a push article, erasing a resident) with their own key.

The private key never leaves the server in the clear and the server cannot use it alone: it is
wrapped with SM4-GCM under a key derived by scrypt from the staff member's signing PIN (known to them
only), and that blob is encrypted again under the data key. A signature covers a canonical text of
who, what, which object, when and the action's details; it is kept in the action's audit entry
(sealed in the HMAC-SM3 chain) with the key's fingerprint, and ``verify_entry`` checks it against
the public key, which stays after the key is replaced. SM2 is gmssl's (the ``cryptography`` package
has no SM2); SM4 and SM3 are OpenSSL's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from gmssl import sm2
from tortoise.transactions import in_transaction

from app.core import crypto
from app.core.actor import Actor
from app.core.clock import utcnow
from app.errors import FawuError, InvalidInput
from app.staff.models import AuditLog, SigningKey

ALG = "SM2-with-SM3"
MIN_PIN = 8
_N = int(sm2.default_ecc_table["n"], 16)


class NotEnrolled(InvalidInput):
    code = "signing_not_enrolled"
    message_zh = "此操作须使用个人签名，请先在“个人签名”页面生成签名密钥。"


class WrongPin(FawuError):
    code = "signing_wrong_pin"
    message_zh = "签名口令不正确，操作未执行。"
    status = 401


class WeakPin(InvalidInput):
    code = "signing_weak_pin"
    message_zh = f"签名口令至少 {MIN_PIN} 位，且不能与登录密码相同。"


@dataclass(frozen=True)
class Signature:
    """What the audit entry keeps: algorithm, key fingerprint, the signed text and the signature (hex r‖s)."""

    fingerprint: str
    message: str
    sig: str

    def as_detail(self) -> dict[str, str]:
        return {"alg": ALG, "key": self.fingerprint, "msg": self.message, "sig": self.sig}


def _kek(pin: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=16, n=2**14, r=8, p=1).derive(pin.encode("utf-8"))


def _sm4_gcm(key: bytes, nonce: bytes, data: bytes, *, decrypt: bool, tag: bytes = b"") -> tuple[bytes, bytes]:
    if decrypt:
        d = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        return d.update(data) + d.finalize(), b""
    e = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    out = e.update(data) + e.finalize()
    return out, e.tag


def _new_keypair() -> tuple[str, str]:
    d = int.from_bytes(os.urandom(32), "big") % (_N - 2) + 1
    priv = f"{d:064x}"
    pub = sm2.CryptSM2(private_key=priv, public_key="")._kg(d, sm2.default_ecc_table["g"])
    return priv, pub


def _wrap(priv: str, pin: str) -> str:
    salt, nonce = os.urandom(16), os.urandom(12)
    ct, tag = _sm4_gcm(_kek(pin, salt), nonce, bytes.fromhex(priv), decrypt=False)
    return crypto.encrypt(b"sm2p1:" + base64.b64encode(salt + nonce + ct + tag))


def _unwrap(blob: str, pin: str) -> str:
    raw = crypto.decrypt(blob)
    if not raw.startswith(b"sm2p1:"):
        raise crypto.DecryptError("not a signing key")
    body = base64.b64decode(raw[6:])
    salt, nonce, ct, tag = body[:16], body[16:28], body[28:-16], body[-16:]
    try:
        plain, _ = _sm4_gcm(_kek(pin, salt), nonce, ct, decrypt=True, tag=tag)
    except InvalidTag:
        raise WrongPin() from None
    return plain.hex()


def fingerprint(public_key: str) -> str:
    return crypto.sm3_hex(bytes.fromhex(public_key))[:16]


async def active_key(staff_id: int) -> SigningKey | None:
    return await SigningKey.get_or_none(staff_id=staff_id, active=True)


async def enrol(*, actor: Actor, pin: str, password_hash: str, ip: str = "") -> SigningKey:
    """A new key pair for the actor (the previous one retired, kept for verification)."""
    # function-level: the password check lives in the service, which imports this module
    from app.staff.service import audit, verify_password

    if len(pin) < MIN_PIN or await asyncio.to_thread(verify_password, password_hash, pin):
        raise WeakPin()
    priv, pub = await asyncio.to_thread(_new_keypair)
    wrapped = await asyncio.to_thread(_wrap, priv, pin)
    now = utcnow()
    async with in_transaction():
        await SigningKey.filter(staff_id=actor.id, active=True).update(active=False, retired_at=now)
        key = await SigningKey.create(staff_id=actor.id, fingerprint=fingerprint(pub), public_key=pub,
                                      private_enc=wrapped, created_at=now)
        await audit(actor=actor, action="sign.enrolled", target_type="staff", target_id=actor.id, ip=ip,
                    detail={"key": key.fingerprint, "alg": ALG, "public_key": pub})
    return key


def canonical(*, actor: Actor, action: str, target_type: str, target_id: str | int, at: str,
              detail: dict[str, Any]) -> str:
    return json.dumps({"action": action, "actor_id": actor.id, "actor_name": actor.name, "at": at,
                       "detail": detail, "target": f"{target_type}:{target_id}"},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sign(priv: str, pub: str, message: bytes) -> str:
    return str(sm2.CryptSM2(private_key=priv, public_key=pub).sign_with_sm3(message))


def _verify(pub: str, sig: str, message: bytes) -> bool:
    try:
        return bool(sm2.CryptSM2(private_key="", public_key=pub).verify_with_sm3(sig, message))
    except (ValueError, TypeError, IndexError):
        return False


async def sign(*, actor: Actor, pin: str, action: str, target_type: str, target_id: str | int,
               detail: dict[str, Any]) -> Signature:
    """Sign one action with the actor's key (NotEnrolled without one, WrongPin with a wrong PIN)."""
    key = await active_key(actor.id)
    if key is None:
        raise NotEnrolled()
    if not pin:
        raise WrongPin()
    try:
        priv = await asyncio.to_thread(_unwrap, key.private_enc, pin)
    except WrongPin:
        # function-level: the audit helper lives in the service, which imports this module
        from app.staff.service import audit

        await audit(actor=actor, action="sign.failed", target_type=target_type, target_id=target_id,
                    detail={"for": action, "key": key.fingerprint}, outcome="failed")
        raise
    at = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    message = canonical(actor=actor, action=action, target_type=target_type, target_id=target_id, at=at,
                        detail=detail)
    sig = await asyncio.to_thread(_sign, priv, key.public_key, message.encode("utf-8"))
    return Signature(fingerprint=key.fingerprint, message=message, sig=sig)


async def verify_entry(entry: AuditLog) -> bool | None:
    """An audit entry's signature checked against the signer's public key: True, False (altered or
    not theirs), None (no signature)."""
    sig = entry.detail.get("signature") if isinstance(entry.detail, dict) else None
    if not isinstance(sig, dict):
        return None
    key = await SigningKey.get_or_none(fingerprint=str(sig.get("key", "")))
    if key is None or key.staff_id != entry.actor_id:
        return False
    msg = str(sig.get("msg", ""))
    try:
        signed = json.loads(msg)
    except ValueError:
        return False
    # the signed text must name this entry's actor, action and object (no signature moved from another)
    if (signed.get("actor_id") != entry.actor_id or signed.get("action") != entry.action
            or signed.get("target") != f"{entry.target_type}:{entry.target_id}"):
        return False
    return await asyncio.to_thread(_verify, key.public_key, str(sig.get("sig", "")), msg.encode("utf-8"))
