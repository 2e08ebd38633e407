"""Migrations: `fawu migrate` builds the schema, is safe to re-run, keeps data, matches the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise

from tests.conftest import BACKEND, make_settings


async def test_models_have_migrations() -> None:
    from app.db import pending_model_changes

    missing = await pending_model_changes()
    assert missing == [], f"models changed without a migration (run `make migrations`): {missing}"


def test_columns_added_not_null_carry_a_database_default() -> None:
    """SQLite refuses ``ADD COLUMN ... NOT NULL`` without a default once the table holds a row (the
    upgrade of a live database fails; tests/core/test_upgrade_with_rows.py shows it): every AddField
    after the first migration is nullable or has ``db_default`` (on the model too)."""
    import importlib
    import pkgutil

    from tortoise.migrations import operations as ops

    import app.migrations

    missing = []
    for info in sorted(pkgutil.iter_modules(app.migrations.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"app.migrations.{info.name}")
        for op in module.Migration.operations:
            field = getattr(op, "field", None)
            if isinstance(op, ops.AddField) and field is not None and not field.null \
                    and not getattr(field, "generated", False) and not field.has_db_default():
                missing.append(f"{info.name}: {op.model_name}.{op.name}")
    assert not missing, f"NOT NULL columns added without db_default: {missing}"


@pytest.mark.skipif(BACKEND != "sqlite", reason="file database upgrade runs on SQLite; MariaDB below")
async def test_migrate_upgrades_a_database_that_holds_data(tmp_path: Path) -> None:
    from app import db
    from app.org.importer import import_folder
    from app.org.models import Board

    settings = make_settings(database_url=f"sqlite://{tmp_path}/fawu.sqlite3")
    applied = await db.migrate(settings)
    assert applied, "a fresh database gets every migration"
    await Tortoise.close_connections()
    await db.init_db(settings)
    await import_folder(Path("content/org"))
    boards = await Board.all().count()
    await db.close_db()
    assert await db.migrate(settings) == []  # nothing pending: safe to run on every release
    await db.close_db()
    await db.init_db(settings)
    assert await Board.all().count() == boards
    await db.close_db()


def test_migrate_cli_on_mariadb_when_available() -> None:
    from tests import needs

    needs.skip_unless(needs.mariadb())
    name = f"fawu_migrate_test_{os.getpid()}"  # own name: parallel runs must not drop each other's database
    subprocess.run(["mysql", "-uroot", "-e", f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4"],
                   check=True)
    try:
        env = {"PATH": "/usr/bin:/bin", "FAWU_DATABASE_URL": f"mysql://root:@127.0.0.1:3306/{name}",
               "FAWU_LOG_LEVEL": "WARNING"}
        first = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], capture_output=True, text=True, env=env)
        assert first.returncode == 0, first.stderr
        imported = subprocess.run([sys.executable, "-m", "app.cli", "org", "import"], capture_output=True, text=True,
                                  env=env)
        assert imported.returncode == 0, imported.stderr
        again = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], capture_output=True, text=True, env=env)
        assert again.returncode == 0 and "无" in again.stdout
        count = subprocess.run(["mysql", "-uroot", "-N", "-e", f"SELECT COUNT(*) FROM {name}.org_board"],
                               capture_output=True, text=True, check=True)
        assert int(count.stdout.strip()) >= 30
    finally:
        subprocess.run(["mysql", "-uroot", "-e", f"DROP DATABASE IF EXISTS {name}"], check=False)
