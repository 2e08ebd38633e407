"""``fawu fake-wechat``: serve the loopback WeChat on emulator_host:emulator_port."""

from __future__ import annotations

import click
import uvicorn

from app.commandkit import fail, settings_or_exit
from app.config import ConfigError, Settings
from app.core.logs import setup_logging
from app.emulator.server import create_emulator_app
from app.emulator.state import EmulatorState


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
        if settings.demo:
            for account_key, template_id in seed_demo_templates(app.state.emu, settings):
                click.echo(f"演示：模板 {template_id} 已加入公众号 {account_key}")
            for template_id in seed_demo_subscribe_templates(app.state.emu, settings):
                click.echo(f"演示：订阅消息模板 {template_id} 已加入小程序")
        h, p = host or settings.emulator_host, port or settings.emulator_port
        click.echo(f"模拟微信接口 (fake WeChat) http://{h}:{p}  控制接口 /_control/")
        uvicorn.run(app, host=h, port=p, log_config=None, timeout_graceful_shutdown=2)


def seed_demo_templates(state: EmulatorState, settings: Settings) -> list[tuple[str, str]]:
    """The demo district's accounts have added the template messages fawu is configured to send (a real
    district adds them in the official account's back office and copies the ids into the config)."""
    wanted = [(settings.case_alert_account, settings.case_alert_template_id)]
    added = []
    for account_key, template_id in wanted:
        acc = state.by_key(account_key)
        if acc is not None and template_id:
            acc.templates.add(template_id)
            added.append((account_key, template_id))
    # the satisfaction survey's subscription message, on the service accounts that may send it
    for acc in state.accounts.values():
        if acc.account.kind == "service" and settings.survey_template_id:
            acc.sub_templates.add(settings.survey_template_id)
            added.append((acc.account.key, settings.survey_template_id))
    return added


def seed_demo_subscribe_templates(state: EmulatorState, settings: Settings) -> list[str]:
    """The demo mini-program has added the subscribe-message templates fawu is configured to send
    (``mp_subscribe_templates``; a real one picks them in the mini-program's console)."""
    mp = next((a for a in state.accounts.values() if a.account.is_miniprogram), None)
    if mp is None:
        return []
    ids = [t for t in settings.mp_subscribe_templates.values() if t]
    mp.sub_templates.update(ids)
    return ids
