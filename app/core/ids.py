"""Short, human-friendly identifiers (case numbers, codes)."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: read aloud on the phone without confusion.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def short_code(length: int = 8) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
