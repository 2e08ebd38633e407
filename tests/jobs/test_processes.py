"""The engine as it is deployed: `fawu worker` processes on RabbitMQ and MariaDB. A worker killed
mid-job (SIGKILL) leaves its job to another worker, which runs it once; the bench's smoke mode
(500 jobs across 3 workers) ends with each job done exactly once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise

from app.config import set_settings
from app.db import tortoise_config
from app.jobs import engine
from app.jobs import service as jobs
from app.jobs.models import Job
from bench import jobs as bench_jobs
from tests import needs
from tests.jobs.conftest import broker_settings, delete_queues, running, wait_for

pytestmark = pytest.mark.mariadb_only


@pytest.fixture
async def shared(rabbit: None, own_database: str, tmp_path: Path) -> Any:
    """Settings on a database and a queue that worker processes share with the test."""
    s = broker_settings(tmp_path, database_url=own_database, jobs_lease_seconds=3)
    set_settings(s)
    await Tortoise.init(config=tortoise_config(own_database), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    try:
        yield s
    finally:
        await Tortoise.close_connections()
        set_settings(None)
        await delete_queues(s.jobs_broker_url, s.jobs_queue)


async def test_a_worker_killed_mid_job_its_job_runs_once_elsewhere(shared: Any, tmp_path: Path) -> None:
    s = shared
    env = bench_jobs.worker_env(s.database_url, s.jobs_queue, tmp_path, FAWU_JOBS_LEASE_SECONDS="3")
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    first = bench_jobs.start_worker(env, logs[0])
    procs = [first]
    try:
        await bench_jobs.wait_listening(logs[:1])
        job = await jobs.enqueue("jobs.probe", {"run": "kill", "i": 1, "hang_first": True})
        assert job is not None
        async with running(lambda stop: engine.run_relay(s, [], stop)):
            await wait_for(lambda: _running_on(job.id, first.pid), timeout=120)
            first.send_signal(signal.SIGKILL)  # mid-job: its effect (the probe's line) not yet made
            await asyncio.to_thread(first.wait)
            procs.append(bench_jobs.start_worker(env, logs[1]))
            await wait_for(lambda: _status(job.id, "done"), timeout=240)
    finally:
        await asyncio.to_thread(bench_jobs.stop_workers, procs)
    row = await Job.get(id=job.id)
    assert row.attempts == 2  # started twice (the killed run, the retry), its effect once:
    lines = jobs.read_probe("kill")
    assert lines == ["kill 1"]
    assert str(first.pid) not in next(iter(jobs.probe_workers("kill")))


async def _running_on(job_id: int, pid: int) -> bool:
    row = await Job.get(id=job_id)
    return row.status == "running" and (row.locked_by or "").endswith(f":{pid}")


async def _status(job_id: int, status: str) -> bool:
    return (await Job.get(id=job_id)).status == status


async def test_bench_smoke_500_jobs_across_3_workers_each_once() -> None:
    needs.skip_unless(needs.rabbitmq())
    result = await bench_jobs.run(500, 3, 100, timeout=300)
    eng = result["engine"]
    assert eng["exactly_once"], result
    assert eng["runs"] == eng["distinct"] == eng["done_rows"] == 500
    assert len(eng["per_worker"]) == 3  # all three took part
    assert result["baseline"]["exactly_once"]
