"""``fawu org``: import and show the district's organisation."""

from __future__ import annotations

from pathlib import Path

import click

from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.org.importer import OrgImportError, import_folder
from app.org.models import Advisor, Board, OrgUnit


def register(cli: click.Group) -> None:
    cli.add_command(org)


@click.group()
def org() -> None:
    """The district's organisation tree (区 → 镇/街道 → 社区/村 → 公示牌)."""


@org.command("import")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
def import_cmd(folder: Path | None, dry_run: bool) -> None:
    """Import units, advisors, boards and service points from CSV files (default: content/org).

    All or nothing: one bad row anywhere imports nothing. Re-importing updates rows by code.
    """
    settings = settings_or_exit()
    folder = folder or settings.content_dir / "org"

    async def go() -> str:
        report = await import_folder(folder, dry_run=dry_run)
        return "校验通过，未写入 (dry run: valid)" if dry_run else report.summary_zh()

    try:
        click.echo(run_async(with_db(go)))
    except OrgImportError as exc:
        fail(exc.message_zh)


@org.command("show")
def show_cmd() -> None:
    """Print the org tree with advisors and board counts."""
    async def go() -> list[str]:
        lines = []
        units = await OrgUnit.all().order_by("code")
        kids: dict[int | None, list[OrgUnit]] = {}
        for u in units:
            kids.setdefault(u.parent_id, []).append(u)  # type: ignore[attr-defined]

        async def walk(parent: int | None, depth: int) -> None:
            for u in kids.get(parent, []):
                extra = ""
                if u.kind == "community":
                    adv = await Advisor.filter(community=u, active=True).values_list("name", flat=True)
                    boards = await Board.filter(community=u, active=True).count()
                    extra = f"  顾问: {'、'.join(str(a) for a in adv) or '无'}  公示牌: {boards}"
                lines.append(f"{'  ' * depth}{u.code} {u.name}{extra}")
                await walk(u.id, depth + 1)

        await walk(None, 0)
        return lines

    click.echo("\n".join(run_async(with_db(go))) or "（尚未导入组织数据）")
