"""Start the loopback WeChat emulator beside ``fawu serve`` in demo mode (a child process)."""

from __future__ import annotations

import atexit
import ctypes
import logging
import signal
import socket
import subprocess
import sys
from urllib.parse import urlsplit

from app.config import Settings

log = logging.getLogger("fawu.emulator")

_child: subprocess.Popen[bytes] | None = None


def port_answers(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def points_at_emulator(settings: Settings) -> bool:
    """True when wechat_api_base is the emulator's address (else starting it would be pointless)."""
    parts = urlsplit(settings.wechat_api_base)
    local = {settings.emulator_host, "127.0.0.1", "localhost"}
    return parts.hostname in local and (parts.port or 80) == settings.emulator_port


def _die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM when the server process dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def maybe_start_beside(settings: Settings) -> subprocess.Popen[bytes] | None:
    """In demo mode with emulator_autostart, run ``fawu fake-wechat`` as a child (killed at exit).

    A no-op outside demo mode, when autostart is off, when the API base is not the emulator's
    address, or when something already answers on the emulator's port.
    """
    global _child
    if not (settings.demo and settings.emulator_autostart and points_at_emulator(settings)):
        return None
    if _child is not None and _child.poll() is None:
        return _child
    if port_answers(settings.emulator_host, settings.emulator_port):
        log.info("emulator already answers on %s:%s", settings.emulator_host, settings.emulator_port)
        return None
    _child = subprocess.Popen([sys.executable, "-m", "app.cli", "fake-wechat", "--host", settings.emulator_host,
                               "--port", str(settings.emulator_port)], preexec_fn=_die_with_parent)
    log.info("fake WeChat started beside the server (pid %s) on %s:%s", _child.pid, settings.emulator_host,
             settings.emulator_port)
    atexit.register(stop)
    return _child


def stop() -> None:
    """Stop the child emulator started by this process, if any."""
    global _child
    child, _child = _child, None
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        child.kill()
