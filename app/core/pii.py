"""Personal data at rest: phone and ID numbers encrypted with AES-GCM, looked up by keyed hash.

The key comes from the ``pii_key`` setting (base64 of 32 bytes). Ciphertext is stored as
``v1:<base64(nonce ‖ ciphertext ‖ tag)>`` so the key can be rotated later by version.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import get_settings
from app.errors import InvalidInput

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _key() -> bytes:
    return base64.b64decode(get_settings().pii_key.get_secret_value())


def _hash_key() -> bytes:
    return hashlib.sha256(b"fawu-pii-lookup:" + _key()).digest()


def encrypt(plain: str) -> str:
    nonce = os.urandom(12)
    ct = AESGCM(_key()).encrypt(nonce, plain.encode("utf-8"), b"fawu-pii")
    return "v1:" + base64.b64encode(nonce + ct).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith("v1:"):
        raise ValueError("unknown PII ciphertext version")
    raw = base64.b64decode(stored[3:])
    return AESGCM(_key()).decrypt(raw[:12], raw[12:], b"fawu-pii").decode("utf-8")


def lookup_hash(value: str) -> str:
    """A keyed hash for equality lookup without storing the value in clear."""
    return hmac.new(_hash_key(), value.encode("utf-8"), hashlib.sha256).hexdigest()


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
