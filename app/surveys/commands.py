"""``fawu surveys`` subcommands: check the definitions, print the figures (as the console shows them),
invite a case (re-run safely: one invitation per case), finish invitations a crash left undecided."""

from __future__ import annotations

import csv
import sys

import click

from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.core.actor import SYSTEM
from app.errors import FawuError
from app.surveys import service


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""
    cli.add_command(surveys_group)


@click.group("surveys")
def surveys_group() -> None:
    """Satisfaction surveys (好差评)."""


@surveys_group.command("check")
def check() -> None:
    """Parse content/surveys and check no used version was changed."""
    settings_or_exit()
    try:
        lines = run_async(with_db(service.check_files))
    except FawuError as exc:
        fail(exc.message_zh)
    for line in lines:
        click.echo(line)


@surveys_group.command("figures")
@click.option("--by", "by", default="township", type=click.Choice(list(service.GROUPS)), show_default=True)
def figures(by: str) -> None:
    """The district's figures as CSV on stdout (the same rows as /console/surveys/export)."""
    settings_or_exit()

    async def rows() -> list[list[str]]:
        found, total = await service.compute(actor=SYSTEM, by=by)
        return service.csv_rows(found, total)

    csv.writer(sys.stdout).writerows(run_async(with_db(rows)))


@surveys_group.command("invite-case")
@click.argument("case_id", type=int)
def invite_case(case_id: int) -> None:
    """Invite the resident of a case whose result was given (nothing new if already invited)."""
    settings_or_exit()

    async def go() -> str:
        inv = await service.invite_case(case_id=case_id)
        return f"{inv.status}：{inv.reason}" if inv else "无"

    try:
        click.echo(run_async(with_db(go)))
    except FawuError as exc:
        fail(exc.message_zh)


@surveys_group.command("resume")
def resume() -> None:
    """Decide invitations left pending by a crash (the scheduled sweep, run once)."""
    settings_or_exit()
    click.echo(f"{run_async(with_db(service.resume_pending))} 份邀请已处理")


@surveys_group.command("import-population")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch", required=True, help="A name for this survey (e.g. 2026年度群众知晓率调查); re-import replaces it.")
def import_population(path: str, batch: str) -> None:
    """Load a population survey of awareness (知晓率) from a CSV: date,township_code,aware,unaware
    (or 日期,镇街代码,知晓,不知晓), one line per township and day surveyed. All or nothing."""
    settings_or_exit()
    with open(path, encoding="utf-8-sig") as fh:
        text = fh.read()

    async def go() -> str:
        done = await service.import_population(text=text, batch=batch)
        return f"已导入“{done.batch}”：{done.rows} 行，受访居民 {done.respondents} 人。知晓率将在下次汇总（fawu analytics rollup）后显示。"

    try:
        click.echo(run_async(with_db(go)))
    except FawuError as exc:
        fail(exc.message_zh)
