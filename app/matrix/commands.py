"""``fawu accounts``: validate the account matrix."""

from __future__ import annotations

import unicodedata

import click

from app.commandkit import fail, settings_or_exit
from app.config import ConfigError
from app.matrix.service import KIND_ZH, MODE_ZH, load_matrix
from app.org.importer import codes_from_files


def register(cli: click.Group) -> None:
    cli.add_command(accounts)


@click.group()
def accounts() -> None:
    """The account matrix (matrix_accounts/*.toml)."""


@accounts.command("check")
def check() -> None:
    """Validate every account file (AES key, appid, org unit, duplicates) and print a table."""
    settings = settings_or_exit()
    try:
        known = codes_from_files(settings.content_dir)
        matrix = load_matrix(settings.matrix_dir, known_units=known or None)
    except ConfigError as exc:
        fail(str(exc))
        return
    rows = [("key", "名称", "类型", "appid", "加密模式", "服务单位", "菜单")]
    for a in matrix.accounts.values():
        rows.append((a.key, a.display_name, KIND_ZH[a.kind], a.appid,
                     "-" if a.is_miniprogram else MODE_ZH[a.encryption_mode], a.org_unit, str(len(a.menu))))
    widths = [max(_w(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(c + " " * (widths[i] - _w(c)) for i, c in enumerate(r)))
    click.echo(f"共 {len(matrix.accounts)} 个账号，全部有效 (all valid)")


def _w(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
