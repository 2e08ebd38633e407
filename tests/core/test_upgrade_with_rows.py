"""Upgrading a database that holds data: a database at the first migration gets one row in every
table, then every later migration runs over it. Columns added NOT NULL need a database default (or
the upgrade fails on the first row), and a table SQLite rebuilds must keep its rows and the rows that
point at it. SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, connections

from app.config import set_settings
from tests.conftest import make_settings
from tests.scratch_mariadb import run_on_scratch_mariadb

FIRST = "fawu.0001_initial"


def _value(kind: str, length: int | None) -> Any:
    kind = kind.lower()
    if "int" in kind or "bool" in kind or kind in ("real", "double", "float") or kind.startswith(("decimal", "numeric")):
        return 1
    if kind.startswith(("datetime", "timestamp")):
        return "2026-11-02 09:00:00"
    if kind == "date":
        return "2026-11-02"
    if kind.startswith("time"):
        return "09:00:00"
    if kind in ("json", "longtext") or kind.startswith("json"):
        return "{}"
    if "blob" in kind or "binary" in kind:
        return b"\x00"
    if length == 36 or kind == "char(36)":
        return str(uuid.UUID(int=1))  # the same in every table: keys and the references to them agree
    return "x"[: length or 1]


async def _columns(table: str, sqlite: bool) -> list[tuple[str, str, int | None]]:
    """(name, type, max length) of the columns a row must or may carry (auto-increment keys left out)."""
    conn = connections.get("default")
    if sqlite:
        _, rows = await conn.execute_query(f"PRAGMA table_info('{table}')")
        out = []
        for r in rows:
            d = dict(r)
            if d["pk"] and "int" in str(d["type"]).lower():
                continue
            out.append((d["name"], str(d["type"]), None))
        return out
    _, rows = await conn.execute_query(
        "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, CHARACTER_MAXIMUM_LENGTH AS len, EXTRA AS extra "
        "FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = %s", [table])
    return [(d["name"], str(d["type"]).split("(")[0] if "char" not in str(d["type"]) else str(d["type"]),
             d["len"]) for d in map(dict, rows) if "auto_increment" not in str(d["extra"])]


async def _tables(sqlite: bool) -> list[str]:
    conn = connections.get("default")
    if sqlite:
        _, rows = await conn.execute_query(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    else:
        _, rows = await conn.execute_query(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()")
    return sorted(dict(r)["name"] for r in rows if "migration" not in dict(r)["name"])


async def _counts(tables: list[str]) -> dict[str, int]:
    conn = connections.get("default")
    out = {}
    for t in tables:
        _, rows = await conn.execute_query(f"SELECT COUNT(*) AS n FROM {t}")
        out[t] = int(dict(rows[0])["n"])
    return out


async def _dangling(sqlite: bool) -> list[str]:
    """Rows pointing at a row that does not exist (SQLite; MariaDB refuses them outright)."""
    if not sqlite:
        return []
    _, rows = await connections.get("default").execute_query("PRAGMA foreign_key_check")
    return sorted(f"{dict(r)['table']}->{dict(r)['parent']}" for r in rows)


async def _scenario(url: str) -> None:
    from tortoise.migrations.api import migrate as migrate_api

    from app import db

    sqlite = url.startswith("sqlite://")
    settings = make_settings(database_url=url)
    set_settings(settings)
    await migrate_api(config=db.tortoise_config(url), target=FIRST)
    await Tortoise.close_connections()
    await db.init_db(settings)
    conn = connections.get("default")
    tables = await _tables(sqlite)
    assert len(tables) > 10, tables
    await conn.execute_script("PRAGMA foreign_keys=OFF" if sqlite else "SET FOREIGN_KEY_CHECKS=0")
    for table in tables:  # keys are all 1, so every foreign key points at the one row of its table
        cols = await _columns(table, sqlite)
        names = ", ".join(f"`{c[0]}`" if not sqlite else f'"{c[0]}"' for c in cols)
        marks = ", ".join("?" if sqlite else "%s" for _ in cols)
        await conn.execute_query(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                                 [_value(kind, length) for _, kind, length in cols])
    before = await _counts(tables)
    assert all(n == 1 for n in before.values()), before
    assert not await _dangling(sqlite)  # every reference points at the one row of its table
    await db.close_db()

    applied = await db.migrate(settings)
    assert applied and applied[0].startswith("0002"), applied
    await db.init_db(settings)
    try:
        after = await _counts(tables)
        assert after == before, {t: (before[t], after.get(t)) for t in tables if after.get(t) != before[t]}
        assert not await _dangling(sqlite)  # the upgrade broke no reference (db.migrate checks it too)
    finally:
        await db.close_db()
        set_settings(None)


def test_upgrade_with_a_row_in_every_table_on_sqlite(tmp_path: Path) -> None:
    asyncio.run(_scenario(f"sqlite://{tmp_path}/fawu.sqlite3"))


def test_upgrade_with_a_row_in_every_table_on_mariadb() -> None:
    run_on_scratch_mariadb("tests.core.test_upgrade_with_rows:_scenario", "fawu_rows_upgrade")


pytestmark: list[Any] = [pytest.mark.filterwarnings("ignore::DeprecationWarning")]
