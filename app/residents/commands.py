"""``fawu residents export/erase``: residents' personal data requests (个人信息保护法)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.errors import FawuError
from app.residents import service
from app.staff import service as staff_service


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""
    cli.add_command(residents_group)


@click.group("residents")
def residents_group() -> None:
    """Residents' personal data requests (个人信息保护法)."""


@residents_group.command("export")
@click.argument("resident_id", type=int)
@click.option("--out", type=click.Path(path_type=Path), help="Write JSON here instead of stdout.")
def residents_export(resident_id: int, out: Path | None) -> None:
    """Export everything held about a resident (their access request)."""
    settings_or_exit()
    try:
        data = run_async(with_db(lambda: service.export_resident(resident_id=resident_id)))
    except FawuError as exc:
        fail(exc.message_zh)
        return
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"已导出到 {out}")
    else:
        click.echo(text)


@residents_group.command("erase")
@click.argument("resident_id", type=int)
@click.option("--reason", default="居民申请删除个人信息", help="Recorded in the history and the audit log.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--as", "as_user", default="", help="The staff member who erases, signing with their SM2 key "
              "(their signing PIN is asked); required when signed_actions lists resident.erase.")
def residents_erase(resident_id: int, reason: str, yes: bool, as_user: str) -> None:
    """Erase a resident's personal data (the case skeleton stays for statistics)."""
    settings = settings_or_exit()
    if "resident.erase" in settings.signed_actions and not as_user:
        fail("删除个人信息须由工作人员签名：请加 --as 用户名 (signed_actions lists resident.erase)")
    if not yes:
        click.confirm(f"确定删除居民 {resident_id} 的个人信息？此操作不可恢复", abort=True)
    pin = click.prompt("签名口令 (signing PIN)", hide_input=True) if as_user else ""

    async def erase() -> dict[str, int]:
        actor = None
        if as_user:
            user = await staff_service.find_by_username(as_user)
            if user is None or not user.active:
                raise staff_service.StaffNotFound()
            actor = await staff_service.actor_for(user)
        return await service.erase_resident(resident_id=resident_id, reason=reason, actor=actor, pin=pin)

    try:
        res = run_async(with_db(erase))
    except FawuError as exc:
        fail(exc.message_zh)
        return
    click.echo(f"已删除：涉及 {res['cases']} 件案件、{res['messages']} 条消息。")
