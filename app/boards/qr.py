"""QR matrices and images with the qrcode library (no WeChat call): for posters and the landing page."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
import qrcode.constants
from PIL import Image

QUIET = 4  # modules of white border the QR standard asks for


@lru_cache(maxsize=4096)
def matrix(content: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules for ``content`` (error correction M, 15%: survives dirt on a board), no border."""
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    q.add_data(content)
    q.make(fit=True)
    return tuple(tuple(bool(c) for c in row) for row in q.get_matrix())


def image(content: str, *, px: int, dark: int = 0, light: int = 255, mode: str = "L") -> Image.Image:
    """A square QR image of about ``px`` pixels (whole pixels per module, quiet zone included)."""
    m = matrix(content)
    n = len(m) + 2 * QUIET
    small = Image.new(mode, (n, n), light)
    small.putdata([dark if (QUIET <= y < n - QUIET and QUIET <= x < n - QUIET and m[y - QUIET][x - QUIET])
                   else light for y in range(n) for x in range(n)])
    scale = max(1, px // n)
    return small.resize((n * scale, n * scale), Image.Resampling.NEAREST)


def png_bytes(content: str, *, px: int = 240) -> bytes:
    """A small PNG of the QR (e.g. the follow code on the landing page)."""
    buf = io.BytesIO()
    image(content, px=px, mode="1", dark=0, light=1).save(buf, format="PNG", optimize=True)
    return buf.getvalue()
