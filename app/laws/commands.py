"""``fawu laws import [DIR]``: load a statute corpus into the database (idempotent)."""

from __future__ import annotations

from pathlib import Path

import click

from app.commandkit import run_async, with_db
from app.config import get_settings
from app.laws import service


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.group("laws")
    def laws_group() -> None:
        """The statute corpus (法规库)."""

    @laws_group.command("import")
    @click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
    def import_cmd(folder: Path | None) -> None:
        """Import every statute file of FOLDER (default: settings.laws_dir, content/laws); run again to update."""
        async def go() -> service.ImportReport:
            return await service.import_folder(folder=folder or get_settings().laws_dir)

        report = run_async(with_db(go))
        click.echo(f"已导入 (imported): {report.summary_zh()}")
