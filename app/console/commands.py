"""``fawu staff``: add staff accounts, create the demo accounts, unlock a locked account."""

from __future__ import annotations

import click

from app.commandkit import fail, run_async, with_db
from app.core.actor import ROLE_ZH, SYSTEM, Role
from app.errors import FawuError, InvalidInput
from app.org import service as org_service
from app.staff import service as staff_service


def register(cli: click.Group) -> None:
    cli.add_command(staff)


@click.group()
def staff() -> None:
    """Staff accounts of the console (工作人员账号)."""


@staff.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Display name (姓名).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="; ".join(f"{r.value}={ROLE_ZH[r]}" for r in Role))
@click.option("--unit", "units", multiple=True, required=True,
              help="Org unit code (repeatable): the district code for all, a township, or communities.")
@click.option("--phone", default="", help="Work phone shown to colleagues.")
@click.password_option("--password", prompt="初始密码 (initial password)",
                       confirmation_prompt="再次输入 (repeat)", help="Prompted when not given.")
def add_cmd(username: str, name: str, role: str, units: tuple[str, ...], phone: str, password: str) -> None:
    """Create a staff account; they must change the password at first login."""
    async def go() -> str:
        known = await org_service.tree()
        unknown = [u for u in units if u not in known]
        if unknown:
            raise InvalidInput(f"未知的单位编码 (unknown unit): {', '.join(unknown)}")
        staff_service.check_password_strength(password)
        user = await staff_service.create_staff(username=username, name=name, role=Role(role),
                                                unit_codes=list(units), password=password, phone=phone)
        return f"已创建 (created) {user.username}（{ROLE_ZH[Role(role)]}，{'、'.join(units)}），首次登录须修改密码"

    try:
        click.echo(run_async(with_db(go)))
    except FawuError as exc:
        fail(exc.message_zh)


@staff.command("demo")
def demo_cmd() -> None:
    """Create the demo accounts (admin, one clerk per township, lawyer, supervisor) if no staff exists."""
    async def go() -> list[str]:
        return await staff_service.ensure_demo_staff()

    created = run_async(with_db(go))
    if not created:
        click.echo("已有工作人员账号，未创建演示账号 (staff exist: nothing created)")
        return
    click.echo(f"已创建演示账号 (created): {', '.join(created)}")
    click.echo(f"初始密码 (initial password): {staff_service.DEMO_PASSWORD}（首次登录须修改 / must change at first login）")


@staff.command("unlock")
@click.argument("username")
def unlock_cmd(username: str) -> None:
    """Lift the login lock of an account after too many failed logins."""
    async def go() -> bool:
        user = await staff_service.find_by_username(username)
        if user is None:
            return False
        await staff_service.unlock(actor=SYSTEM, staff_id=user.id)
        return True

    if not run_async(with_db(go)):
        fail(f"没有该用户 (no such user): {username}")
    click.echo(f"已解锁 (unlocked): {username}")
