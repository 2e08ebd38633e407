"""The ``fawu`` command. Each subcommand parses its options and calls a service."""

from __future__ import annotations

import asyncio
import signal
import time

import click
import uvicorn

from app import __version__, db, wiring
from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.config import ConfigError, Settings
from app.core.logs import setup_logging
from app.emulator import embedded
from app.jobs import engine as jobs_engine
from app.jobs import service as jobs_service
from app.matrix.service import load_matrix, set_matrix
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
    # function-level: the CLI's other commands neither build the app nor load the consultation engine
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


def _broker_settings() -> Settings:
    settings = settings_or_exit()
    if not settings.jobs_broker_url:
        fail("未配置 jobs_broker_url：嵌入模式下任务由 fawu serve 进程自己执行 (no job broker configured: "
             "without one, `fawu serve` runs the jobs in-process; set FAWU_JOBS_BROKER_URL=amqp://...)")
    return settings


async def _engine_process(settings: Settings, body: str, concurrency: int | None = None,
                          warm_up: bool = True) -> None:
    """What a worker or the scheduler needs (database, events, matrix, handlers, start-up hooks; no
    migration and no demo loading: `fawu migrate` and the app do those), then run until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    setup_logging(settings.log_level, settings.log_format)
    check_production_secrets(settings)
    await db.init_db(settings)
    try:
        wiring.wire_events()
        set_matrix(load_matrix(settings.matrix_dir))
        wiring.load_inbound()
        schedules = wiring.schedules()  # imports every job module: the handlers are registered
        if body == "worker":
            if warm_up:
                await wiring.run_startup()  # e.g. the consultation engine late answers are computed with
            click.echo(f"fawu worker {jobs_service.WORKER_ID}: {settings.jobs_queue}", err=True)
            await jobs_engine.run_worker(settings, stop, concurrency=concurrency)
        else:
            click.echo(f"fawu scheduler: {len(schedules)} schedules, relay to {settings.jobs_queue}", err=True)
            await jobs_engine.run_relay(settings, schedules, stop)
    finally:
        await db.close_db()


@cli.command()
@click.option("--concurrency", default=None, type=int, help="Jobs run at once (default: jobs_worker_concurrency).")
@click.option("--no-warm-up", is_flag=True,
              help="Skip the start-up hooks (the consultation engine is then built by the first job needing it).")
def worker(concurrency: int | None, no_warm_up: bool) -> None:
    """Run jobs from the broker (RabbitMQ, taskiq); start as many as the load needs (SIGTERM stops)."""
    run_async(_engine_process(_broker_settings(), "worker", concurrency, warm_up=not no_warm_up))


@cli.command()
def scheduler() -> None:
    """Relay due jobs from the outbox to the broker and run the periodic schedules (run exactly one)."""
    run_async(_engine_process(_broker_settings(), "scheduler"))


@cli.group()
def jobs() -> None:
    """The job outbox: figures, the dead letters, retries, an end-to-end probe."""


@jobs.command("status")
def jobs_status() -> None:
    """Jobs per status (failed = dead letters, retryable)."""
    counts = run_async(with_db(jobs_service.counts, migrate=False))
    for status, n in counts.items():
        click.echo(f"{status}\t{n}")


@jobs.command("dead")
@click.option("--limit", default=50, show_default=True)
def jobs_dead(limit: int) -> None:
    """List the dead letters (jobs whose attempts are used up)."""
    async def go() -> list[str]:
        return [f"{j.id}\t{j.name}\t{j.attempts}\t{j.finished_at}\t{(j.last_error or '')[:120]}"
                for j in await jobs_service.dead_letters(limit=limit)]

    for line in run_async(with_db(go, migrate=False)):
        click.echo(line)


@jobs.command("retry")
@click.argument("job_ids", nargs=-1, type=int, required=True)
def jobs_retry(job_ids: tuple[int, ...]) -> None:
    """Put dead letters back in the outbox, due now."""
    async def go() -> list[bool]:
        return [await jobs_service.retry(job_id=i) for i in job_ids]

    for job_id, ok in zip(job_ids, run_async(with_db(go, migrate=False)), strict=True):
        click.echo(f"{job_id}\t{'已重新排队 (queued again)' if ok else '不是死信 (not a dead letter)'}")


@jobs.command("probe")
@click.option("--count", default=100, show_default=True, help="Probe jobs to enqueue.")
@click.option("--run", "run_id", default=None, help="Run id (default: a fresh one).")
@click.option("--wait", "wait_s", default=60.0, show_default=True, help="Seconds to wait for them all (0: do not wait).")
def jobs_probe(count: int, run_id: str | None, wait_s: float) -> None:
    """Enqueue COUNT probe jobs and wait until each has run exactly once (checks a deployment)."""
    run_id = run_id or f"probe-{int(time.time())}"
    jobs_service.probe_log(run_id)  # checks the id

    async def go() -> tuple[int, int, float]:
        t0 = time.perf_counter()
        for start in range(0, count, 500):
            await jobs_service.enqueue_many("jobs.probe", [{"run": run_id, "i": i}
                                                           for i in range(start, min(count, start + 500))])
        while time.perf_counter() - t0 < wait_s:
            lines = jobs_service.read_probe(run_id)
            if len(lines) >= count:
                break
            await asyncio.sleep(0.5)
        lines = jobs_service.read_probe(run_id)
        return len(lines), len(set(lines)), time.perf_counter() - t0

    lines, unique, took = run_async(with_db(go, migrate=False))
    click.echo(f"{run_id}: {count} enqueued, {lines} runs, {unique} distinct, {took:.1f} s")
    if wait_s and (lines != count or unique != count):
        fail(f"探针任务未恰好各执行一次 (probe jobs not each run exactly once): {lines} runs, {unique} distinct")


def main() -> None:
    for mod in wiring.load(wiring.COMMAND_MODULES):
        mod.register(cli)
    wiring.wire_events()
    cli()


if __name__ == "__main__":
    main()
