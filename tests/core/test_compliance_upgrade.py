"""Upgrading a database that fawu wrote before issue 26 (at the migration before this one): staff, residents'
AES-GCM personal data and audit entries survive migration 0006, staff log in, the audit chain takes
the old entries in, and `rekey` moves the data to SM4 with every value intact. SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, connections

from app.config import set_settings
from tests.conftest import make_settings
from tests.factories import ID_NUMBER, PASSWORD
from tests.scratch_mariadb import run_on_scratch_mariadb


async def _scenario(url: str) -> None:
    from tortoise.migrations.api import migrate as migrate_api

    from app import db
    from app.core import pii, rekey
    from app.residents import service as residents_service
    from app.staff import audit as chain
    from app.staff import service as staff_service
    from app.staff.models import AuditLog, StaffUser

    old = make_settings(database_url=url, pii_cipher="aes")
    set_settings(old)
    await migrate_api(config=db.tortoise_config(url), target="fawu.0009_booking")
    await Tortoise.close_connections()
    await db.init_db(old)
    conn = connections.get("default")
    pw_hash = await asyncio.to_thread(staff_service.hash_password, PASSWORD)
    await conn.execute_script(  # no parameters: the same text on SQLite and MariaDB
        "INSERT INTO staff_user (username, name, role, unit_codes, phone, password_hash, must_change_password, "
        "failed_logins, active, created_at) VALUES ('clerk', '老职员', 'township_staff', '[\"YXJD\"]', '', "
        f"'{pw_hash}', 0, 0, 1, '2026-11-01 08:00:00')")
    await conn.execute_script(
        "INSERT INTO staff_audit_log (actor_id, actor_name, action, target_type, target_id, detail, ip, at) "
        "VALUES (1, '老职员', 'resident.reveal_phone', 'resident', '1', '{}', '10.0.0.8', '2026-11-02 09:00:00')")
    phones = [f"1391111{i:04d}" for i in range(3)]
    for i, p in enumerate(phones):
        await residents_service.record_resident(name=f"居民{i}", phone=p, id_number=ID_NUMBER)
    _, rows = await conn.execute_query("SELECT phone_enc FROM resident")
    assert all(dict(r)["phone_enc"].startswith("v1:") for r in rows)
    await db.close_db()

    new = make_settings(database_url=url)  # SM4 from now on
    set_settings(new)
    assert (await db.migrate(new))[0] == "0010_compliance"  # and any migration after it
    await db.init_db(new)
    try:
        user = await StaffUser.get(username="clerk")
        assert not user.password_history and not user.recovery_codes and user.totp_enabled_at is None
        ok = await staff_service.authenticate(username="clerk", password=PASSWORD, max_failures=5, lock_minutes=15)
        assert ok.id == user.id
        for p in phones:  # found and read before the re-encryption
            found = await residents_service.find_by_phone(p)
            assert found is not None and residents_service.reveal(found, "phone") == p
        report = await rekey.rekey()
        assert report.moved["resident.phone_enc"] == 3 and not any(report.unreadable.values())
        for p in phones:  # and after it
            found = await residents_service.find_by_phone(p)
            assert found is not None and found.phone_enc and found.phone_enc.startswith("sm4:")
            assert residents_service.reveal(found, "phone") == p
            assert residents_service.reveal(found, "id_number") == ID_NUMBER
            assert found.phone_hash == pii.lookup_hash(p)
        verdict = await chain.verify()
        assert verdict.ok and verdict.legacy == 1 and verdict.checked >= 1, verdict.problems
        legacy = await AuditLog.get(seq=None)
        assert legacy.actor_name == "老职员" and json.dumps(legacy.detail) == "{}"
    finally:
        await db.close_db()
        set_settings(None)


def test_upgrade_from_before_on_sqlite(tmp_path: Path) -> None:
    asyncio.run(_scenario(f"sqlite://{tmp_path}/fawu.sqlite3"))


def test_upgrade_from_before_on_mariadb(tmp_path: Path) -> None:
    run_on_scratch_mariadb("tests.core.test_compliance_upgrade:_scenario", "fawu_upgrade_test")


pytestmark: list[Any] = [pytest.mark.filterwarnings("ignore::DeprecationWarning")]
