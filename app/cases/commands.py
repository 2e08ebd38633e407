"""``fawu`` subcommands of the cases domain: ``calendar check``, ``cases purge/recompute``."""

from __future__ import annotations

from pathlib import Path

import click

from app.cases import service
from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.core import calendar
from app.residents import service as residents_service


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""
    cli.add_command(calendar_group)
    cli.add_command(cases_group)


@click.group("calendar")
def calendar_group() -> None:
    """The working-day calendar (法定节假日与调休)."""


@calendar_group.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--recompute", is_flag=True, help="Then recompute every open case's deadline.")
def calendar_check(file: Path | None, recompute: bool) -> None:
    """Validate the calendar file (default: settings.calendar_file) and show what is covered."""
    settings = settings_or_exit()
    path = file or settings.calendar_file
    try:
        years = calendar.load_file(path) if path else []
    except (calendar.CalendarFileError, OSError) as exc:
        fail(str(exc))
        return
    src = calendar.describe_sources()
    click.echo(f"官方数据：chinese-calendar {src['package_years'][0]}–{src['package_years'][1]}"  # type: ignore[index]
               + (f"；文件 {path}：{', '.join(map(str, years)) or '无'}" if path else "；未配置日历文件"))
    warning = calendar.coverage_warning_zh(60)
    click.echo(warning or "未来 60 天均有官方放假安排。")
    if recompute:
        n = run_async(with_db(service.recompute_open_deadlines))
        click.echo(f"已重新计算 {n} 件在办案件的期限。")


@click.group("cases")
def cases_group() -> None:
    """Cases (案件): maintenance."""


@cases_group.command("purge")
def cases_purge() -> None:
    """Clear chat messages older than chat_retention_days (every domain's, as the hourly schedule does)."""
    n = run_async(with_db(residents_service.purge_chat_logs))
    click.echo(f"已清除 {n} 条超过保存期限的聊天记录。")


@cases_group.command("recompute")
def cases_recompute() -> None:
    """Recompute every open case's deadline (after changing case_limits or the calendar)."""
    calendar.load_from_settings()
    n = run_async(with_db(service.recompute_open_deadlines))
    click.echo(f"已重新计算 {n} 件在办案件的期限。")
