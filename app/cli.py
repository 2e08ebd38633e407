"""The ``fawu`` command. Each subcommand parses its options and calls a service."""

from __future__ import annotations

import asyncio

import click
import uvicorn

from app import __version__, db, wiring
from app.commandkit import fail, run_async, settings_or_exit
from app.config import ConfigError, Settings
from app.emulator import embedded
from app.matrix.service import load_matrix
from app.production import check_production_secrets


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="fawu")
def cli() -> None:
    """fawu (法务): a district's public legal service on WeChat.

    Settings come from FAWU_CONFIG (else ./config.toml, else the demo defaults) and FAWU_*
    environment variables; see config.example.toml.
    """


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: the host setting, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: the port setting, 8000).")
@click.option("--workers", default=None, type=int, help="Worker processes (default: the workers setting).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve fawu over HTTP (migrates the database and loads the demo on an empty one)."""
    settings = settings_or_exit()
    try:
        check_production_secrets(settings)
        load_matrix(settings.matrix_dir)
    except ConfigError as exc:
        fail(str(exc))
    n = workers or settings.workers
    if n > 1:  # migrate and load the demo once here, so the workers do not race each other on a new database
        run_async(_prepare_once(settings))
    embedded.maybe_start_beside(settings)
    uvicorn.run("app.asgi:app", host=host or settings.host, port=port or settings.port,
                workers=n, log_config=None, access_log=False, timeout_graceful_shutdown=settings.shutdown_timeout, proxy_headers=True)


async def _prepare_once(settings: Settings) -> None:
    from app.consult.service import warm_up
    from app.main import prepare_database  # function-level: the CLI's other commands do not build the app

    wiring.wire_events()
    try:
        await prepare_database(settings)
        # the consultation engine built (and cached on disk) once: each worker then loads it in about a second
        await asyncio.to_thread(warm_up)
    finally:
        await db.close_db()


@cli.command()
@click.option("--check", is_flag=True, help="Only check that every model change has a migration (for CI).")
def migrate(check: bool) -> None:
    """Apply pending database migrations (safe to run again; upgrades a database that holds data)."""
    settings = settings_or_exit()
    if check:
        missing = run_async(db.pending_model_changes())
        if missing:
            fail("模型有改动但没有迁移，请运行 make migrations (models changed without a migration): "
                 + "; ".join(missing))
        click.echo("迁移与模型一致 (migrations up to date)")
        return

    async def go() -> list[str]:
        try:
            return await db.migrate(settings)
        finally:
            await db.close_db()

    applied = run_async(go())
    click.echo(f"已应用 {len(applied)} 个迁移 (applied): {', '.join(applied) or '无 (none pending)'}")


@cli.group()
def config() -> None:
    """Inspect the settings."""


@config.command("check")
def config_check() -> None:
    """Load the settings and the account matrix; print where each came from, secrets hidden."""
    settings = settings_or_exit()
    for name, value in settings.model_dump().items():
        shown = "******" if any(s in name for s in ("secret", "key", "password", "token")) and value else value
        if name == "database_url" and isinstance(value, str) and "@" in value:
            shown = value.split("://")[0] + "://******@" + value.split("@", 1)[1]
        click.echo(f"{name} = {shown}")


def main() -> None:
    for mod in wiring.load(wiring.COMMAND_MODULES):
        mod.register(cli)
    wiring.wire_events()
    cli()


if __name__ == "__main__":
    main()
