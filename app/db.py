"""Database setup: the one list of model modules, tortoise configuration and migrations."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections

from app.config import Settings
from app.core import kms

log = logging.getLogger("fawu.db")

APP_LABEL = "fawu"
MIGRATIONS_MODULE = "app.migrations"

# Every module that defines tortoise models. Tortoise and the migrations read this list only.
MODEL_MODULES: list[str] = [
    "app.org.models",
    "app.residents.models",
    "app.staff.models",
    "app.jobs.models",
    "app.wechat.models",
    "app.wechat.outbound_models",
    "app.boards.models",
    "app.laws.models",
    "app.consult.models",
    "app.cases.models",
    "app.push.models",
    "app.surveys.models",
    "app.booking.models",
    "app.console.kit.models",
    "app.catalog.models",
    "app.analytics.models",
    "app.mp_api.models",
]


def tortoise_config(database_url: str, *, pool_max: int = 10) -> dict[str, Any]:
    """The tortoise configuration for a database URL (sqlite:// or mysql://)."""
    url = database_url
    if url.startswith("sqlite://") and not url.startswith("sqlite://:memory:"):
        path = Path(url[len("sqlite://"):])
        path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("mysql://"):
        sep = "&" if "?" in url else "?"
        if "charset=" not in url:
            url = f"{url}{sep}charset=utf8mb4"
            sep = "&"
        if "maxsize=" not in url:
            url = f"{url}{sep}maxsize={pool_max}"
    return {
        "connections": {"default": url},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings, *, database_url: str | None = None) -> None:
    """Connect tortoise (shared by every task of this process)."""
    config = tortoise_config(database_url or settings.database_url, pool_max=settings.database_pool_max)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    await kms.open_keys(settings)  # an HTTP KMS's data keys, unwrapped before any row is read


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(settings: Settings, *, database_url: str | None = None) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    # function-level: migration tooling only when migrating
    from tortoise.migrations.api import migrate as migrate_api

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)
        log.info("migration %s %s.%s", event, app_label, name)

    url = database_url or settings.database_url
    sqlite_file = url.startswith("sqlite://") and ":memory:" not in url
    if sqlite_file:
        # SQLite changes a column by rebuilding its table (copy, drop, rename); with foreign keys on,
        # dropping the old table deletes or refuses the rows that point at it. SQLite's own procedure
        # (lang_altertable.html, "other kinds of table schema changes"): keys off while the schema
        # changes, then foreign_key_check.
        url = f"{url}{'&' if '?' in url else '?'}foreign_keys=OFF"
    config = tortoise_config(url, pool_max=settings.database_pool_max)
    await migrate_api(config=config, progress=progress)
    if sqlite_file:
        try:
            if applied:
                await _sqlite_references_intact()
        finally:
            await Tortoise.close_connections()  # the next connection has foreign keys on again
    return applied


async def _sqlite_references_intact() -> None:
    _, rows = await connections.get("default").execute_query("PRAGMA foreign_key_check")
    if rows:
        broken = sorted({f"{dict(r)['table']} -> {dict(r)['parent']}" for r in rows})
        raise RuntimeError(f"the migration left {len(rows)} rows pointing at rows that do not exist: {broken}")


async def pending_model_changes() -> list[str]:
    """Model changes that no migration covers yet (empty when app/migrations is up to date)."""
    # function-level: migration tooling only when migrating
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as ctx:
        assert ctx.apps is not None  # the context initialised tortoise
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    return [f"{w.app_label}.{w.name}: " + ", ".join(type(op).__name__ for op in w.operations) for w in writers]


# For the tortoise CLI (``make migrations`` runs ``tortoise -c app.db.TORTOISE_ORM makemigrations``):
# migrations are generated against an empty scratch SQLite file and work on MySQL/MariaDB too.
TORTOISE_ORM = tortoise_config("sqlite://var/makemigrations.sqlite3")


# ---- hot statements written once (the WeChat callback: the query builder cost more than the statement)

_UPDATE_SQL: dict[tuple[Any, ...], str] = {}


async def update_where(model: Any, where: dict[str, Any], values: dict[str, Any]) -> int:
    """``model.filter(**where).update(**values)`` for plain fields, its SQL built once per shape; a tuple
    in ``where`` is ``IN``. Returns the rows changed (as the query builder's update does)."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    shape = (model, dialect, tuple(values), tuple((k, len(v) if isinstance(v, tuple) else -1) for k, v in where.items()))
    sql = _UPDATE_SQL.get(shape)
    if sql is None:
        q = "`" if dialect == "mysql" else '"'
        mark = "%s" if dialect == "mysql" else "?"
        fields = model._meta.fields_db_projection
        sets = ", ".join(f"{q}{fields[k]}{q} = {mark}" for k in values)
        conds = " AND ".join(f"{q}{fields[k]}{q} = {mark}" if n < 0 else f"{q}{fields[k]}{q} IN ({', '.join([mark] * n)})"
                             for k, n in shape[3])
        sql = _UPDATE_SQL[shape] = f"UPDATE {q}{model._meta.db_table}{q} SET {sets} WHERE {conds}"
    fmap = model._meta.fields_map
    params = [fmap[k].to_db_value(v, None) for k, v in values.items()]
    for k, v in where.items():
        params += [fmap[k].to_db_value(x, None) for x in v] if isinstance(v, tuple) else [fmap[k].to_db_value(v, None)]
    return int((await conn.execute_query(sql, params))[0])


_INSERT_SQL: dict[tuple[Any, ...], str] = {}


async def insert_row(model: Any, values: dict[str, Any]) -> int:
    """One INSERT of ``values`` (plain fields), its SQL built once per shape; the new row's id. A unique
    key taken raises tortoise's IntegrityError, as ``model.create`` does."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    shape = (model, dialect, tuple(values))
    sql = _INSERT_SQL.get(shape)
    if sql is None:
        q = "`" if dialect == "mysql" else '"'
        mark = "%s" if dialect == "mysql" else "?"
        fields = model._meta.fields_db_projection
        sql = _INSERT_SQL[shape] = (f"INSERT INTO {q}{model._meta.db_table}{q} ({', '.join(q + fields[k] + q for k in values)}) "
                                    f"VALUES ({', '.join([mark] * len(values))})")
    fmap = model._meta.fields_map
    return int(await conn.execute_insert(sql, [fmap[k].to_db_value(v, None) for k, v in values.items()]))
