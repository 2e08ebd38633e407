"""Schedules of the residents domain: the chat-log retention purge (every domain joins through
``residents.retention_due``)."""

from __future__ import annotations

from typing import Any

from app.residents import service


async def purge_chat() -> None:
    await service.purge_chat_logs()


SCHEDULES: list[tuple[str, float, Any]] = [
    ("residents.purge_chat", 3600.0, purge_chat),
]
