"""What every domain's ``commands.py`` is built with: one clear error and exit, the settings or exit,
running a coroutine, and running one with the database connected (app.cli assembles the commands)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import click

from app import db
from app.config import ConfigError, Settings, get_settings

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear error and exit non-zero."""
    click.secho(f"错误 (error): {message}", fg="red", err=True)
    sys.exit(code)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        fail(str(exc))


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def with_db(fn: Callable[[], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``fn`` with the database connected (and migrated), then close it."""
    settings = settings_or_exit()
    try:
        if migrate:
            await db.migrate(settings)
        try:
            await db.init_db(settings)
        except ConfigError as exc:  # e.g. the KMS refused to unwrap the data keys
            fail(str(exc))
        return await fn()
    finally:
        await db.close_db()
