"""``fawu booking import``: the services (content/booking/services.toml) into the database."""

from __future__ import annotations

from pathlib import Path

import click

from app.booking import service
from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.errors import FawuError


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.group("booking")
    def booking_group() -> None:
        """Appointment booking (预约办事): services, schedules."""

    @booking_group.command("import")
    @click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_cmd(path: Path | None) -> None:
        """Load the services (default content/booking/services.toml): new ones added, existing updated."""
        target = path or settings_or_exit().content_dir / "booking" / "services.toml"
        try:
            n = run_async(with_db(lambda: service.import_services(target)))
        except FawuError as exc:
            fail(exc.message_zh)
        click.echo(f"已导入 (imported): {n} 项预约服务")
