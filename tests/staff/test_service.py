"""Staff service: authentication with lockout, password changes, the demo accounts, the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from app.core import clock
from app.core.actor import Role
from app.staff import service as staff_service
from app.staff.models import AuditLog, StaffUser
from tests import factories

PW = "start-pass-123"


async def make_staff(**overrides: Any) -> StaffUser:
    return await factories.make_staff(**{"username": "wang", "name": "王", "password": PW, **overrides})


class TestCreateStaff:
    async def test_password_is_hashed_with_argon2(self, demo_org: None) -> None:
        user = await make_staff()
        assert user.password_hash.startswith("$argon2") and PW not in user.password_hash
        assert await asyncio.to_thread(staff_service.verify_password, user.password_hash, PW)
        assert not await asyncio.to_thread(staff_service.verify_password, user.password_hash, "nope")
        assert not await asyncio.to_thread(staff_service.verify_password, "garbage", PW)

    async def test_duplicate_username_refused(self, demo_org: None) -> None:
        await make_staff()
        with pytest.raises(staff_service.DuplicateUsername):
            await make_staff()


class TestAuthenticate:
    async def test_lock_after_max_failures_then_expiry(self, demo_org: None) -> None:
        user = await make_staff()
        for i in range(2):
            with pytest.raises(staff_service.LoginFailed):
                await staff_service.authenticate(username="wang", password="bad", max_failures=3, lock_minutes=10)
            assert (await StaffUser.get(id=user.id)).failed_logins == i + 1
        with pytest.raises(staff_service.AccountLocked):
            await staff_service.authenticate(username="wang", password="bad", max_failures=3, lock_minutes=10)
        row = await StaffUser.get(id=user.id)
        assert row.locked_until is not None
        with pytest.raises(staff_service.AccountLocked):
            await staff_service.authenticate(username="wang", password=PW, max_failures=3, lock_minutes=10)
        try:
            clock.freeze(clock.utcnow() + timedelta(minutes=9))
            with pytest.raises(staff_service.AccountLocked):
                await staff_service.authenticate(username="wang", password=PW, max_failures=3, lock_minutes=10)
            clock.freeze(clock.utcnow() + timedelta(minutes=2))
            # after expiry one failure does not re-lock at once: counting starts afresh
            with pytest.raises(staff_service.LoginFailed):
                await staff_service.authenticate(username="wang", password="bad", max_failures=3, lock_minutes=10)
            assert (await StaffUser.get(id=user.id)).failed_logins == 1
            ok = await staff_service.authenticate(username="wang", password=PW, max_failures=3, lock_minutes=10)
            assert ok.id == user.id and ok.failed_logins == 0
        finally:
            clock.freeze(None)
        actions = await AuditLog.filter(actor_id=user.id).order_by("id").values_list("action", flat=True)
        assert actions == ["login.failed", "login.failed", "login.failed", "login.locked", "login.refused_locked",
                           "login.refused_locked", "login.failed", "login.ok"]

    async def test_unknown_and_inactive_users(self, demo_org: None) -> None:
        await make_staff(username="gone")
        await StaffUser.filter(username="gone").update(active=False)
        for name in ("nobody", "gone"):
            with pytest.raises(staff_service.LoginFailed):
                await staff_service.authenticate(username=name, password=PW, max_failures=3, lock_minutes=10)
        assert await AuditLog.filter(action="login.failed", actor_id=None).count() == 2

    async def test_unlock(self, demo_org: None) -> None:
        from app.core.actor import SYSTEM

        user = await make_staff()
        for _ in range(3):
            with pytest.raises((staff_service.LoginFailed, staff_service.AccountLocked)):
                await staff_service.authenticate(username="wang", password="bad", max_failures=3, lock_minutes=10)
        await staff_service.unlock(actor=SYSTEM, staff_id=user.id)
        assert (await staff_service.authenticate(username="wang", password=PW, max_failures=3,
                                                 lock_minutes=10)).id == user.id


class TestChangePassword:
    async def test_rules(self, demo_org: None) -> None:
        user = await make_staff(must_change_password=True)
        with pytest.raises(staff_service.WrongOldPassword):
            await staff_service.change_password(staff_id=user.id, old_password="x", new_password="new-pass-123")
        with pytest.raises(staff_service.PasswordUnchanged):
            await staff_service.change_password(staff_id=user.id, old_password=PW, new_password=PW)
        with pytest.raises(staff_service.WeakPassword):
            await staff_service.change_password(staff_id=user.id, old_password=PW, new_password="12345678901")
        with pytest.raises(staff_service.PasswordMismatch):
            await staff_service.change_password(staff_id=user.id, old_password=PW, new_password="new-pass-123",
                                                confirm="new-pass-124")
        await staff_service.change_password(staff_id=user.id, old_password=PW, new_password="new-pass-123")
        row = await StaffUser.get(id=user.id)
        assert not row.must_change_password and await asyncio.to_thread(
            staff_service.verify_password, row.password_hash, "new-pass-123")


class TestDemoStaff:
    async def test_demo_accounts_once_and_must_change(self, demo_org: None) -> None:
        created = await staff_service.load_demo_staff()
        assert created == ["admin", "sqz", "tyz", "yxjd", "lawyer", "supervisor", "sysadmin", "secadmin", "auditor"]
        assert await staff_service.load_demo_staff() == []
        users = {u.username: u for u in await StaffUser.all()}
        assert all(u.must_change_password for u in users.values())
        assert users["admin"].role == Role.DISTRICT_ADMIN and users["admin"].unit_codes == ["YX"]
        assert users["sqz"].role == Role.TOWNSHIP_STAFF and users["sqz"].unit_codes == ["SQZ"]
        assert users["supervisor"].role == Role.SUPERVISOR
        assert users["lawyer"].role == Role.LAWYER and len(users["lawyer"].unit_codes) == 2
        from app.org import service as org_service

        tree = await org_service.tree()
        assert all(tree[c].kind == "community" for c in users["lawyer"].unit_codes)
        assert await asyncio.to_thread(staff_service.verify_password, users["admin"].password_hash, staff_service.DEMO_PASSWORD)
        admin = await staff_service.actor_for(users["admin"])
        assert admin.is_district
        clerk = await staff_service.actor_for(users["sqz"])
        assert clerk.scope.allows("SQSQ") and not clerk.scope.allows("JXSQ")

    async def test_nothing_without_an_org(self, db: None) -> None:
        assert await staff_service.load_demo_staff() == []

    async def test_list_staff_is_scoped(self, demo_org: None) -> None:
        await staff_service.load_demo_staff()
        clerk = await staff_service.actor_for(await StaffUser.get(username="yxjd"))
        names = {u.username for u in await staff_service.list_staff(actor=clerk)}
        # the district's accounts (the three administrators included); the demo lawyer serves Shiqiao's villages
        assert names == {"admin", "yxjd", "supervisor", "sysadmin", "secadmin", "auditor"}


def test_cli_commands_registered() -> None:
    from click.testing import CliRunner

    from app import cli, wiring

    for mod in wiring.load(wiring.COMMAND_MODULES):
        if mod.__name__ == "app.console.commands" and "staff" not in cli.cli.commands:
            mod.register(cli.cli)
    result = CliRunner().invoke(cli.cli, ["staff", "--help"])
    assert result.exit_code == 0
    assert all(c in result.output for c in ("add", "demo", "unlock"))
    result = CliRunner().invoke(cli.cli, ["staff", "add", "--help"])
    assert "--unit" in result.output and "--role" in result.output


async def test_parallel_guesses_cannot_pass_the_lockout(db: None) -> None:
    """30 wrong guesses at once: only max_failures are checked, then the right password is refused too."""
    import asyncio

    from app.staff import service as staff_service
    from app.staff.models import AuditLog, StaffUser

    await staff_service.create_staff(username="target", name="目标", role=Role.TOWNSHIP_STAFF, unit_codes=["YXJD"],
                                     password="right-password-1", must_change_password=False)

    async def attempt(pw: str) -> str:
        try:
            await staff_service.authenticate(username="target", password=pw, max_failures=5, lock_minutes=15)
            return "ok"
        except staff_service.AccountLocked:
            return "locked"
        except staff_service.LoginFailed:
            return "failed"

    results = await asyncio.gather(*(attempt(f"wrong-{i}") for i in range(30)))
    assert results.count("ok") == 0
    assert await AuditLog.filter(action="login.failed").count() == 5  # only five passwords were checked
    assert await attempt("right-password-1") == "locked"
    user = await StaffUser.get(username="target")
    assert user.locked_until is not None and user.failed_logins == 5
