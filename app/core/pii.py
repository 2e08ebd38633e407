"""Personal data at rest: phone and ID numbers (and masked texts' originals) encrypted, looked up by
keyed hash.

The cipher and keys are ``app.core.crypto``'s: SM4-GCM under the active data key by default
(``sm4:<key id>:...``), AES-GCM under ``pii_key`` for data written before (``v1:...``); both are
read. Lookup hashes are HMAC-SM3 (``lookup_candidates`` also gives the hashes of older keys).
"""

from __future__ import annotations

import re

from app.core import crypto
from app.errors import InvalidInput

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def encrypt(plain: str) -> str:
    return crypto.encrypt(plain.encode("utf-8"))


def decrypt(stored: str) -> str:
    return crypto.decrypt(stored).decode("utf-8")


def lookup_hash(value: str) -> str:
    """A keyed hash for equality lookup without storing the value in clear (what new rows store)."""
    return crypto.lookup_hash(value)


def lookup_candidates(value: str) -> list[str]:
    """Every hash a stored row may carry for this value (older keys, HMAC-SHA256 before SM3)."""
    return crypto.lookup_candidates(value)


def normalize_phone(value: str) -> str:
    """A mainland mobile number, or InvalidInput with a message in Chinese."""
    v = re.sub(r"[\s-]", "", value or "")
    if v.startswith("+86"):
        v = v[3:]
    if not PHONE_RE.match(v):
        raise InvalidInput("手机号码格式不对，请填写11位手机号。")
    return v


def normalize_id_number(value: str) -> str:
    """An 18-digit resident ID number with a valid check digit."""
    v = (value or "").strip().upper()
    if not ID_RE.match(v):
        raise InvalidInput("身份证号码格式不对，请填写18位身份证号。")
    total = sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != v[17]:
        raise InvalidInput("身份证号码校验位不对，请核对后重新填写。")
    return v


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_id_number(idno: str) -> str:
    return idno[:6] + "********" + idno[-4:] if len(idno) >= 10 else "****"
