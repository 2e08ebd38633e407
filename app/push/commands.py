"""``fawu push import`` / ``fawu push check``: the article library (content/articles) into the database, and
its checks (front matter, sanitising, images, citations against the statute corpus)."""

from __future__ import annotations

from pathlib import Path

import click

from app.commandkit import fail, run_async, with_db
from app.push import service


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.group("push")
    def push_group() -> None:
        """Legal-education articles and their sends (普法推送)."""

    @push_group.command("import")
    @click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
    def import_cmd(folder: Path | None) -> None:
        """Load the article library (default content/articles); unchanged drafts are updated, others kept."""
        report = run_async(with_db(lambda: service.import_library(folder=folder)))
        click.echo(f"已导入 (imported): 新增 {report.created} 篇，更新 {report.updated} 篇，"
                   f"保留 {report.kept} 篇（审核中或已发送）")
        for p in report.problems:
            click.echo(f"  ! {p}")

    @push_group.command("check")
    @click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
    def check_cmd(folder: Path | None) -> None:
        """Check every library article; exits 1 when any has a problem (cited law missing, script, ...)."""
        problems = run_async(with_db(lambda: service.check_library(folder=folder)))
        for p in problems:
            click.echo(p)
        if problems:
            fail(f"{len(problems)} 个问题", code=1)
        click.echo("全部文章检查通过 (all articles pass)")
