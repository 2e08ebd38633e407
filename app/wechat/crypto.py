"""Signatures and AES (safe/compat mode) for the callback: a thin wrapper over wechatpy's crypto.

Signatures are compared in constant time; one ``AccountCrypto`` per account is cached.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from app.matrix.service import Account


class CryptoError(Exception):
    """The ciphertext could not be decrypted (bad base64, padding, length or encoding)."""


class WrongAppId(CryptoError):
    """The decrypted message names another appid."""


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted parts concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of two hex signatures."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "replace"))


def check_signature(token: str, signature: str | None, timestamp: str, nonce: str) -> bool:
    """The URL signature (``signature`` = sha1(sort(token, timestamp, nonce)))."""
    return signature_ok(sign(token, timestamp, nonce), signature)


class AccountCrypto:
    """Everything needed to verify, decrypt and encrypt callbacks of one account."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.token = account.token
        self.appid = account.appid
        self._prp: PrpCrypto | None = None
        if account.encoding_aes_key:
            key = base64.b64decode(account.encoding_aes_key + "=")
            if len(key) != 32:
                raise ValueError("encoding_aes_key must decode to 32 bytes")
            self._prp = PrpCrypto(key)

    @property
    def can_encrypt(self) -> bool:
        return self._prp is not None

    def check_signature(self, signature: str | None, timestamp: str, nonce: str) -> bool:
        return check_signature(self.token, signature, timestamp, nonce)

    def check_msg_signature(self, msg_signature: str | None, timestamp: str, nonce: str, encrypt: str) -> bool:
        return signature_ok(sign(self.token, timestamp, nonce, encrypt), msg_signature)

    def decrypt(self, encrypt: str) -> str:
        """Decrypt an ``Encrypt`` value (the signature was checked before); checks the appid."""
        if self._prp is None:
            raise CryptoError("no encoding_aes_key")
        try:
            return self._prp.decrypt(encrypt, self.appid)
        except InvalidAppIdException as exc:
            raise WrongAppId() from exc
        except (binascii.Error, ValueError, UnicodeDecodeError, IndexError, TypeError) as exc:
            raise CryptoError(type(exc).__name__) from exc

    def encrypt(self, plaintext: str) -> str:
        if self._prp is None:
            raise CryptoError("no encoding_aes_key")
        return self._prp.encrypt(plaintext, self.appid).decode("ascii")

    def encrypt_reply(self, xml: str, *, nonce: str | None = None, timestamp: str | None = None) -> str:
        """The encrypted reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce)."""
        nonce = nonce or secrets.token_hex(8)
        timestamp = timestamp or str(int(time.time()))
        encrypt = self.encrypt(xml)
        signature = sign(self.token, timestamp, nonce, encrypt)
        return (f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
                f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")


_cache: dict[tuple[str, str, str, str], AccountCrypto] = {}


def for_account(account: Account) -> AccountCrypto:
    """The cached crypto object of an account (rebuilt when its secrets change)."""
    ck = (account.key, account.appid, account.token, account.encoding_aes_key)
    obj = _cache.get(ck)
    if obj is None:
        if len(_cache) > 256:
            _cache.clear()
        obj = _cache[ck] = AccountCrypto(account)
    return obj
