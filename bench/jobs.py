"""Job-engine benchmark: N probe jobs through RabbitMQ across W `fawu worker` processes, each done exactly once.

A MariaDB database of its own; the jobs are written to the outbox first (as a backlog), then the relay
(app.jobs.engine.run_relay, in this process, as `fawu scheduler` runs it) moves them to RabbitMQ and W
worker processes (`fawu worker --no-warm-up`) run them. Each probe appends ``<run> <i> <worker>`` to
one file (O_APPEND): exactly once = as many lines as jobs, no job twice, every row ``done`` with one
attempt. Baseline in the same run, same database: the embedded default's in-process runner
(app.jobs.service.drain, one process) on a share of the jobs.
`python -m bench.jobs [--smoke] [--jobs 50000] [--workers 3] [--baseline-jobs 5000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("FAWU_BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
MARIADB = os.environ.get("FAWU_BENCH_MARIADB_URL", "mysql://root:@127.0.0.1:3306/")
LAST: dict[str, Any] = {}


async def _sql(stmt: str) -> None:
    import aiomysql

    conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    async with conn.cursor() as cur:
        await cur.execute(stmt)
    conn.close()


def worker_env(url: str, queue: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAWU_")}
    env.update({"FAWU_DATABASE_URL": url, "FAWU_JOBS_BROKER_URL": BROKER, "FAWU_JOBS_QUEUE": queue,
                "FAWU_VAR_DIR": str(var_dir), "FAWU_LOG_LEVEL": "WARNING", "FAWU_LOG_FORMAT": "text",
                "FAWU_EMULATOR_AUTOSTART": "false", "FAWU_DATABASE_POOL_MAX": "20",
                "FAWU_JOBS_WORKER_CONCURRENCY": "20", "FAWU_AUTO_MIGRATE": "false"})
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    fh = open(log, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--no-warm-up"], cwd=ROOT, env=env,
                            stdout=fh, stderr=subprocess.STDOUT)


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


async def wait_listening(logs: list[Path], timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if all("fawu worker" in (p.read_text(errors="replace") if p.exists() else "") for p in logs):
            return
        await asyncio.sleep(0.3)
    raise RuntimeError("workers did not start: " + " | ".join(p.read_text(errors="replace")[-500:] for p in logs))


async def run(jobs_n: int, workers: int, baseline_n: int, *, timeout: float = 1800.0) -> dict[str, Any]:
    from tortoise import Tortoise

    from app import wiring
    from app.config import set_settings
    from app.db import tortoise_config
    from app.jobs import engine
    from app.jobs import service as jobs
    from app.jobs.models import Job
    from tests.conftest import make_settings

    name = f"fawu_bench_jobs_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = MARIADB.rstrip("/") + "/" + name
    queue = f"fawu.bench.{uuid.uuid4().hex[:8]}"
    await _sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    procs: list[subprocess.Popen[bytes]] = []
    result: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            var = Path(tmp)
            s = make_settings(database_url=url, jobs_broker_url=BROKER, jobs_queue=queue, var_dir=var,
                              jobs_relay_interval=0.2, jobs_relay_batch=500, database_pool_max=20)
            set_settings(s)
            wiring.load(wiring.JOB_MODULES)
            await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
            await Tortoise.generate_schemas()
            try:
                # baseline: the in-process runner of the embedded default, one process, same database
                base_s = 0.0
                if baseline_n:
                    await jobs.enqueue_many("jobs.probe", [{"run": "base", "i": i} for i in range(baseline_n)])
                    t0 = time.perf_counter()
                    done = await jobs.drain(max_jobs=baseline_n + 10)
                    base_s = time.perf_counter() - t0
                    base_lines = jobs.read_probe("base")
                    result["baseline"] = {"jobs": baseline_n, "ran": done, "seconds": round(base_s, 1),
                                          "jobs_per_s": round(baseline_n / base_s, 1),
                                          "exactly_once": len(base_lines) == baseline_n == len(set(base_lines))}
                # the backlog, then the engine: W worker processes, the relay here
                for start in range(0, jobs_n, 1000):
                    await jobs.enqueue_many("jobs.probe", [{"run": "eng", "i": i}
                                                           for i in range(start, min(jobs_n, start + 1000))])
                logs = [var / f"worker{k}.log" for k in range(workers)]
                env = worker_env(url, queue, var)
                procs = [start_worker(env, log) for log in logs]
                await wait_listening(logs)
                stop = asyncio.Event()
                t0 = time.perf_counter()
                relay = asyncio.create_task(engine.run_relay(s, [], stop))
                end = t0 + timeout
                while await Job.filter(status="done").count() < jobs_n + baseline_n and time.perf_counter() < end:
                    await asyncio.sleep(0.5)
                took = time.perf_counter() - t0
                stop.set()
                await relay
                lines = jobs.read_probe("eng")
                per_worker = jobs.probe_workers("eng")
                done_rows = await Job.filter(status="done").count() - baseline_n
                result["engine"] = {
                    "jobs": jobs_n, "workers": workers, "seconds": round(took, 1),
                    "jobs_per_s": round(jobs_n / took, 1), "runs": len(lines), "distinct": len(set(lines)),
                    "done_rows": done_rows, "retried": await Job.filter(attempts__gt=1).count(),
                    "per_worker": sorted(per_worker.values(), reverse=True),
                    "exactly_once": len(lines) == jobs_n == len(set(lines)) == done_rows,
                }
                if baseline_n:
                    result["ratio"] = round(result["engine"]["jobs_per_s"] / result["baseline"]["jobs_per_s"], 2)
            finally:
                await asyncio.to_thread(stop_workers, procs)
                await Tortoise.close_connections()
                set_settings(None)
                try:
                    await _delete_queue(queue)
                except Exception as exc:  # noqa: BLE001 - the figures stand; a queue may stay behind
                    print(f"queue {queue} not deleted: {exc}", file=sys.stderr)
    finally:
        await _sql(f"DROP DATABASE IF EXISTS `{name}`")
    result["load_average"] = round(os.getloadavg()[0], 2)
    return result


async def _delete_queue(queue: str) -> None:
    import aio_pika

    conn = await aio_pika.connect(BROKER)
    try:
        ch = await conn.channel()
        for q in (queue, f"{queue}.dead"):
            await ch.queue_delete(q)
        await ch.exchange_delete(f"{queue}.exchange")
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.jobs")
    ap.add_argument("--smoke", action="store_true", help="500 jobs, 3 workers, 200 baseline jobs")
    ap.add_argument("--jobs", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--baseline-jobs", type=int, default=5_000)
    args = ap.parse_args(argv)
    n, base = (500, 200) if args.smoke else (args.jobs, args.baseline_jobs)
    result = asyncio.run(run(n, args.workers, base))
    LAST.clear()
    LAST.update(result)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result.get("engine", {}).get("exactly_once") else 1


if __name__ == "__main__":
    sys.exit(main())
