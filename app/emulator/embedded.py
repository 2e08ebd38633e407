"""Start the loopback WeChat emulator beside ``fawu serve`` in demo mode (filled in by the emulator)."""

from __future__ import annotations

from app.config import Settings


def maybe_start_beside(settings: Settings) -> None:
    """In demo mode with emulator_autostart, run the emulator in a child process."""
    return None
