"""What a test needs from the machine, and one wording for why it is skipped when that is missing.

Every reason reads "needs <what>: <why not here> (<how to get it>)"; `make test` installs what it can
(Makefile: browsers, fonts) and scripts/test.sh lists every skip in its summary.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _reachable(host: str, port: int) -> bool:
    s = socket.socket()
    s.settimeout(1)
    try:
        return s.connect_ex((host, port)) == 0
    finally:
        s.close()


def chromium() -> str | None:
    if CHROMIUM is None:
        return "needs Chromium: not installed (make browsers, as root on Debian)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "needs the playwright package: not installed (make venv)"
    return None


def cjk_font(kind: str = "regular") -> str | None:
    """None when posters can be drawn (``kind="pdf"``: a font a PDF can embed)."""
    from app.boards.posters import fonts

    try:
        fonts.find_cjk_font(kind)
    except fonts.CJKFontMissing:
        return "needs a CJK font: fonts-wqy-microhei not installed (make fonts, as root on Debian)"
    return None


def mariadb(host: str = "127.0.0.1", port: int = 3306) -> str | None:
    if not _reachable(host, port):
        return f"needs MariaDB: {host}:{port} not reachable (start the service)"
    return None


def redis(host: str = "127.0.0.1", port: int = 6379) -> str | None:
    if not _reachable(host, port):
        return f"needs Redis: {host}:{port} not reachable (start the service)"
    return None


def skip_unless(reason: str | None) -> None:
    """Skip the running test when ``reason`` says something is missing."""
    if reason:
        pytest.skip(reason)


# markers for whole tests, evaluated at collection
font = pytest.mark.skipif(cjk_font() is not None, reason=cjk_font() or "")
pdf_font = pytest.mark.skipif(cjk_font("pdf") is not None, reason=cjk_font("pdf") or "")


def rabbitmq(host: str = "127.0.0.1", port: int = 5672) -> str | None:
    if not _reachable(host, port):
        return (f"needs RabbitMQ: {host}:{port} not reachable (start it: /etc/init.d/rabbitmq-server start; "
                "apt-get install rabbitmq-server)")
    return None
