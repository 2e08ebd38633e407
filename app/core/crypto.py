"""商用密码 for data at rest: SM4-GCM, HMAC-SM3 and SM3 (the ``cryptography`` package over OpenSSL),
the data keys by id (a key file, or one key derived from ``pii_key``), and AES-GCM for old data.

No cipher is written here: every primitive is OpenSSL's. Ciphertexts name their scheme and key:
``sm4:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``; ``v1:<base64(...)>`` is AES-256-GCM under
``pii_key`` (written before SM4 came, or with ``pii_cipher = "aes"``). Each key of the ring is a
master secret; the SM4 key, the lookup-hash key and the audit-chain key are derived from it with
HKDF-SM3 under different labels, so one secret never serves two purposes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import ConfigError, get_settings
from app.core import kms

DERIVED_KEY_ID = "k0"  # the key derived from pii_key when no key file is set
KEY_ID_RE = re.compile(r"^[a-z0-9]{1,8}$")
_AAD = b"fawu-pii"
_NONCE = 12
_TAG = 16


class DecryptError(ValueError):
    """A ciphertext that cannot be read: unknown scheme or key id, or it was altered."""


@dataclass(frozen=True)
class Keyring:
    """The data keys: master secrets by id, the one new data is written with, and the AES key of v1."""

    active: str
    masters: dict[str, bytes]
    legacy_aes: bytes

    def derived(self, key_id: str, purpose: str, length: int) -> bytes:
        return _derive(self.masters[key_id], purpose, length)


@lru_cache(maxsize=64)
def _derive(master: bytes, purpose: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=None,
                info=f"fawu:{purpose}".encode()).derive(master)


def load_key_file(path: Path) -> tuple[str, dict[str, bytes]]:
    """(active id, {id: master}) from a key file; ConfigError naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"key_file：无法读取密钥文件 {path} (cannot read the key file): {exc}") from exc
    keys = data.get("keys")
    active = data.get("active")
    if not isinstance(keys, dict) or not keys or not isinstance(active, str) or active not in keys:
        raise ConfigError(f"key_file：{path} 须有 keys 表和其中的 active 密钥 (needs [keys] and active)")
    out: dict[str, bytes] = {}
    for kid, value in keys.items():
        if not KEY_ID_RE.match(kid) or kid == DERIVED_KEY_ID:
            raise ConfigError(f"key_file：密钥编号 {kid!r} 须为 1-8 位小写字母或数字且不能是 k0 (key id)")
        try:
            raw = base64.b64decode(str(value), validate=True)
        except ValueError as exc:
            raise ConfigError(f"key_file：密钥 {kid} 不是 base64 (not base64)") from exc
        if not 16 <= len(raw) <= 64:
            raise ConfigError(f"key_file：密钥 {kid} 须为 16-64 字节 (16-64 bytes)")
        out[kid] = raw
    return active, out


@lru_cache(maxsize=8)
def _keyring(pii_key: str, key_file: str) -> Keyring:
    legacy = base64.b64decode(pii_key)
    masters = {DERIVED_KEY_ID: legacy}
    active = DERIVED_KEY_ID
    if key_file:
        active, extra = load_key_file(Path(key_file))
        masters.update(extra)
    return Keyring(active=active, masters=masters, legacy_aes=legacy)


def keyring() -> Keyring:
    """The key ring of the current settings (read once per settings; a rotated file: restart). With
    an HTTP KMS (app/core/kms.py) its data keys, unwrapped when the database was opened."""
    s = get_settings()
    if s.kms_provider == "http":
        active, extra = kms.opened(s)
        return _kms_keyring(s.pii_key.get_secret_value(), active, tuple(sorted(extra.items())))
    return _keyring(s.pii_key.get_secret_value(), str(s.key_file) if s.key_file else "")


@lru_cache(maxsize=8)
def _kms_keyring(pii_key: str, active: str, extra: tuple[tuple[str, bytes], ...]) -> Keyring:
    legacy = base64.b64decode(pii_key)
    return Keyring(active=active, masters={DERIVED_KEY_ID: legacy, **dict(extra)}, legacy_aes=legacy)


def forget_keys() -> None:
    """Read the key file (and the KMS's keys) afresh on next use: after ``fawu crypto rotate``."""
    _keyring.cache_clear()
    _kms_keyring.cache_clear()
    kms.forget()


def sm4_on() -> bool:
    return get_settings().pii_cipher == "sm4"


# --- encryption -----------------------------------------------------------------------------------

def encrypt(plain: bytes) -> str:
    """Encrypt with the configured cipher and the active key (a fresh random nonce each time)."""
    ring = keyring()
    nonce = os.urandom(_NONCE)
    if not sm4_on():
        return "v1:" + base64.b64encode(nonce + AESGCM(ring.legacy_aes).encrypt(nonce, plain, _AAD)).decode()
    key = ring.derived(ring.active, "sm4:pii", 16)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(_AAD)
    ct = enc.update(plain) + enc.finalize()
    return f"sm4:{ring.active}:" + base64.b64encode(nonce + ct + enc.tag).decode()


def decrypt(stored: str) -> bytes:
    """Read any ciphertext fawu ever wrote (v1 AES-GCM, SM4-GCM under any key of the ring)."""
    ring = keyring()
    try:
        if stored.startswith("v1:"):
            raw = base64.b64decode(stored[3:])
            return AESGCM(ring.legacy_aes).decrypt(raw[:_NONCE], raw[_NONCE:], _AAD)
        if stored.startswith("sm4:"):
            _, kid, body = stored.split(":", 2)
            if kid not in ring.masters:
                raise DecryptError(f"unknown data key id {kid!r} (missing from key_file?)")
            raw = base64.b64decode(body)
            if len(raw) < _NONCE + _TAG:
                raise DecryptError("ciphertext too short")
            key = ring.derived(kid, "sm4:pii", 16)
            dec = Cipher(algorithms.SM4(key), modes.GCM(raw[:_NONCE], raw[-_TAG:])).decryptor()
            dec.authenticate_additional_data(_AAD)
            return dec.update(raw[_NONCE:-_TAG]) + dec.finalize()
    except InvalidTag as exc:
        raise DecryptError("ciphertext altered or wrong key") from exc
    except (ValueError, IndexError) as exc:
        if isinstance(exc, DecryptError):
            raise
        raise DecryptError("malformed ciphertext") from exc
    raise DecryptError("unknown PII ciphertext version")


def scheme_of(stored: str) -> str:
    """"aes" (v1) or "sm4:<key id>": what ``fawu crypto status`` counts."""
    if stored.startswith("sm4:"):
        return "sm4:" + stored.split(":", 2)[1]
    return "aes" if stored.startswith("v1:") else "unknown"


def current_scheme() -> str:
    return f"sm4:{keyring().active}" if sm4_on() else "aes"


# --- hashes -----------------------------------------------------------------------------------------

def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def hmac_sm3(key: bytes, data: bytes) -> str:
    m = c_hmac.HMAC(key, hashes.SM3())
    m.update(data)
    return m.finalize().hex()


def hmac_sm3_key(purpose: str, key_id: str | None = None) -> tuple[str, bytes]:
    """(key id, 32-byte HMAC-SM3 key for one purpose); the active key unless ``key_id`` is given."""
    ring = keyring()
    kid = key_id or ring.active
    if kid not in ring.masters:
        raise DecryptError(f"unknown data key id {kid!r} (missing from key_file?)")
    return kid, ring.derived(kid, f"hmac-sm3:{purpose}", 32)


def _legacy_lookup(value: str) -> str:
    key = hashlib.sha256(b"fawu-pii-lookup:" + keyring().legacy_aes).digest()
    return std_hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def lookup_hash(value: str) -> str:
    """The keyed hash new rows store for equality lookup: HMAC-SM3 under the active key (HMAC-SHA256
    under pii_key with ``pii_cipher = "aes"``)."""
    if not sm4_on():
        return _legacy_lookup(value)
    return hmac_sm3(hmac_sm3_key("lookup")[1], value.encode("utf-8"))


def lookup_candidates(value: str) -> list[str]:
    """Every keyed hash a stored row may carry for this value (each key of the ring, and the old
    HMAC-SHA256): lookups match rows written before a rotation until ``fawu crypto rekey`` is done."""
    ring = keyring()
    out = [lookup_hash(value)]
    for kid in ring.masters:
        h = hmac_sm3(hmac_sm3_key("lookup", kid)[1], value.encode("utf-8"))
        if h not in out:
            out.append(h)
    legacy = _legacy_lookup(value)
    if legacy not in out:
        out.append(legacy)
    return out
