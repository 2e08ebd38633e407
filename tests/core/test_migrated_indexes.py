"""A SQLite database built by `fawu migrate` has every unique constraint and index the models declare
(issue 24: table rebuilds in earlier migrations had dropped them, so WeChat's retries were stored twice)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tortoise import Tortoise

from tests.conftest import BACKEND, make_settings

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite rebuilds tables; MariaDB alters in place")


def _indexes(path: Path) -> dict[str, set[tuple[bool, tuple[str, ...]]]]:
    out: dict[str, set[tuple[bool, tuple[str, ...]]]] = {}
    with sqlite3.connect(path) as c:
        for (table,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            found = set()
            for row in c.execute(f'PRAGMA index_list("{table}")'):
                cols = tuple(r[2] for r in c.execute(f'PRAGMA index_info("{row[1]}")'))
                found.add((bool(row[2]), cols))
            out[table] = found
    return out


async def test_migrated_sqlite_has_the_models_indexes_and_refuses_a_second_copy(tmp_path: Path) -> None:
    from app import db
    from app.wechat import service

    migrated, modelled = tmp_path / "migrated.sqlite3", tmp_path / "models.sqlite3"
    settings = make_settings(database_url=f"sqlite://{migrated}")
    await db.migrate(settings)
    await db.close_db()
    await Tortoise.init(config=db.tortoise_config(f"sqlite://{modelled}"))
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()
    want, have = _indexes(modelled), _indexes(migrated)
    missing = {t: sorted(want[t] - have.get(t, set())) for t in want if want[t] - have.get(t, set())}
    assert missing == {}

    await db.init_db(settings)
    try:
        row = dict(account_key="yx_district", key="m:1234567890123456789", openid="o_retry", kind="text",
                   event=None, event_key=None, msg_id="1234567890123456789", text="你好", raw={"Content": "你好"})
        assert await service.persist_inbound(**row) is not None
        assert await service.persist_inbound(**row) is None  # WeChat's retry: recognised, not stored again
    finally:
        await db.close_db()
