"""``fawu fake-wechat``: serve the loopback WeChat on emulator_host:emulator_port."""

from __future__ import annotations

import click
import uvicorn

from app.commandkit import fail, settings_or_exit
from app.config import ConfigError
from app.core.logs import setup_logging
from app.emulator.server import create_emulator_app


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.command("fake-wechat")
    @click.option("--host", default=None, help="Address to listen on (default: the emulator_host setting).")
    @click.option("--port", default=None, type=int, help="Port (default: the emulator_port setting, 8900).")
    def fake_wechat(host: str | None, port: int | None) -> None:
        """Serve a loopback WeChat API (demo and tests): tokens, messages, mass sends, QR codes, faults."""
        settings = settings_or_exit()
        setup_logging(settings.log_level, settings.log_format)
        try:
            app = create_emulator_app(settings)
        except ConfigError as exc:
            fail(str(exc))
            return
        h, p = host or settings.emulator_host, port or settings.emulator_port
        click.echo(f"模拟微信接口 (fake WeChat) http://{h}:{p}  控制接口 /_control/")
        uvicorn.run(app, host=h, port=p, log_config=None, timeout_graceful_shutdown=2)
