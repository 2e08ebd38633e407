"""``fawu catalog``: import content/catalog/ (all or nothing) and check it against the other domains
and the statute corpus."""

from __future__ import annotations

from pathlib import Path

import click

from app.catalog import service
from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.laws import service as laws_service


def register(cli: click.Group) -> None:
    cli.add_command(catalog)


@click.group()
def catalog() -> None:
    """The service catalogue (基本项目清单), the provider directory and the case library."""


@catalog.command("import")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
def import_cmd(folder: Path | None, dry_run: bool) -> None:
    """Import services.toml, providers.csv, records.csv and cases/*.md (default: content/catalog).

    All or nothing: one bad line anywhere (or a case holding personal data) imports nothing.
    Re-importing updates by code.
    """
    settings_or_exit()

    async def go() -> str:
        report = await service.import_folder(folder, dry_run=dry_run)
        return "校验通过，未写入 (dry run: valid)" if dry_run else report.summary_zh()

    try:
        click.echo(run_async(with_db(go)))
    except service.CatalogImportError as exc:
        fail(exc.message_zh)


@catalog.command("check")
def check_cmd() -> None:
    """List services other domains use that the catalogue lacks, and legal bases not in the corpus.

    Exits 1 when anything is found.
    """
    settings = settings_or_exit()

    async def go() -> list[str]:
        if not await laws_service.corpus_size() and settings.laws_dir.is_dir():
            await laws_service.import_folder(folder=settings.laws_dir)
        return await service.check()

    problems = run_async(with_db(go))
    for p in problems:
        click.echo(f"- {p}")
    if problems:
        fail(f"服务清单有 {len(problems)} 处问题", code=1)
    click.echo("服务清单检查通过 (catalogue check passed)")
