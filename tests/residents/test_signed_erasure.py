"""Erasure signed with a staff member's personal SM2 key through ``fawu residents erase --as``
(issue 26 §3): required by ``signed_actions``, refused with a wrong PIN, verified afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

from app.config import set_settings
from app.core.actor import Role
from tests.conftest import make_settings

PIN = "erase-signing-pin"


def _cli() -> click.Group:
    from app.residents import commands

    group = click.Group()
    commands.register(group)
    return group


def test_erasure_signed_through_the_cli(tmp_path: Path) -> None:
    from app import db, wiring

    settings = make_settings(database_url=f"sqlite://{tmp_path}/e.sqlite3", signed_actions=["resident.erase"])
    set_settings(settings)

    async def prepare() -> int:
        await db.migrate(settings)
        await db.init_db(settings)
        wiring.wire_events()
        try:
            from app.residents import service as residents_service
            from app.staff import service as staff_service

            user = await staff_service.create_staff(username="clerk", name="办事员", role=Role.TOWNSHIP_STAFF,
                                                    unit_codes=["YXJD"], password="Clerk-Pass-2026!",
                                                    must_change_password=False)
            actor = await staff_service.actor_for(user)
            await staff_service.enrol_signing_key(actor=actor, pin=PIN, confirm=PIN)
            r = await residents_service.record_resident(name="张三", phone="13812345678")
            return int(r.id)
        finally:
            await db.close_db()

    rid = asyncio.run(prepare())
    runner = CliRunner()
    res = runner.invoke(_cli(), ["residents", "erase", str(rid), "--yes"])
    assert res.exit_code == 2 and "--as" in res.output, res.output
    res = runner.invoke(_cli(), ["residents", "erase", str(rid), "--yes", "--as", "clerk"], input="wrong-pin-1\n")
    assert res.exit_code != 0 and "签名口令不正确" in res.output, res.output
    res = runner.invoke(_cli(), ["residents", "erase", str(rid), "--yes", "--as", "clerk"], input=PIN + "\n")
    assert res.exit_code == 0 and "已删除" in res.output, res.output

    async def check() -> tuple[Any, Any, bool | None]:
        await db.init_db(settings)
        try:
            from app.residents import service as residents_service
            from app.staff import signing
            from app.staff.models import AuditLog

            r = await residents_service.get_resident(rid)
            entry = await AuditLog.get(action="resident.erase")
            failed = await AuditLog.get(action="sign.failed")
            return r, (entry, failed), await signing.verify_entry(entry)
        finally:
            await db.close_db()

    r, (entry, failed), verdict = asyncio.run(check())
    assert r.erased_at is not None and r.phone_enc is None
    assert entry.actor_name == "办事员" and entry.detail["signature"]["key"] and verdict is True
    assert failed.detail["for"] == "resident.erase" and failed.outcome == "failed"
    set_settings(None)
