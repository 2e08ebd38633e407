"""``fawu analytics rollup`` (fill and refresh the figures) and ``fawu analytics warn`` (look for surges)."""

from __future__ import annotations

import click

from app.analytics import service
from app.commandkit import run_async, with_db


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.group("analytics")
    def analytics_group() -> None:
        """Figures, early warnings and the three rates (统计分析)."""

    @analytics_group.command("rollup")
    @click.option("--weeks", type=int, default=None, help="how far back to fill missing periods")
    def rollup_cmd(weeks: int | None) -> None:
        """Recompute the current and previous periods and fill missing ones."""
        done = run_async(with_db(lambda: service.run_rollup(weeks=weeks)))
        click.echo(f"已汇总 (rolled up): 重算 {done['recomputed']} 个周期，补算 {done['filled']} 个，"
                   f"共 {done['cells']} 个数据格")

    @analytics_group.command("warn")
    def warn_cmd() -> None:
        """Look for surges and clusters now (the daily run does it after the rollup)."""
        found = run_async(with_db(service.check_warnings))
        click.echo(f"预警 (warnings): {len(found)} 条")
        for w in found:
            click.echo(f"  {w.kind} {w.township_code} {w.community_code} {w.category} {w.subject} {w.observed}")
