"""The job engine on the real RabbitMQ: the relay moves due outbox rows to the broker, taskiq workers
run each once; back-off, scheduling and the dead letter stay the outbox's; a broker outage only delays.
Workers and relays run in the test's loop here (tests/jobs/test_processes.py runs them as processes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.clock import utcnow
from app.jobs import engine
from app.jobs import service as jobs
from app.jobs.models import Job
from tests.jobs.conftest import TcpProxy, broker_settings, running, wait_for


def probe(run: str, i: int, **extra: Any) -> dict[str, Any]:
    return {"run": run, "i": i, **extra}


async def statuses() -> dict[str, int]:
    return {k: v for k, v in (await jobs.counts()).items() if v}


async def test_each_job_runs_once_through_the_broker(db: None, engine_settings: Any) -> None:
    s = engine_settings
    await jobs.enqueue_many("jobs.probe", [probe("r1", i) for i in range(60)])
    later = await jobs.enqueue("jobs.probe", probe("r1", 999), run_at=utcnow() + timedelta(hours=1))
    broker = engine.make_broker(s)
    await broker.startup()
    try:
        async with running(lambda stop: engine.run_worker(s, stop)), \
                running(lambda stop: engine.run_worker(s, stop)):  # two receivers on one queue
            assert await engine.relay_once(broker) == 60
            await wait_for(lambda: _done(60))
            # a message delivered twice (a redelivery, a relay sending again) runs its job once
            task = broker.find_task(engine.TASK_NAME)
            assert task is not None
            for job in await Job.filter(status="done").limit(5):
                await task.kiq(job.id)
            assert await engine.relay_once(broker) == 0  # the scheduled one is not due yet
            await wait_for(lambda: _done(60))
    finally:
        await broker.shutdown()
    lines = jobs.read_probe("r1")
    assert sorted(lines) == sorted(f"r1 {i}" for i in range(60))  # each once, none twice
    assert later is not None and (await Job.get(id=later.id)).status == "pending"
    assert await Job.filter(status="done", attempts=1).count() == 60


async def _done(n: int) -> bool:
    return await Job.filter(status="done").count() >= n


async def test_failures_back_off_then_dead_letter_then_retry(db: None, engine_settings: Any) -> None:
    s = engine_settings
    job = await jobs.enqueue("jobs.probe", probe("r2", 1, fail=True), max_attempts=2)
    assert job is not None
    broker = engine.make_broker(s)
    await broker.startup()
    try:
        async with running(lambda stop: engine.run_worker(s, stop)):
            await engine.relay_once(broker)
            await wait_for(lambda: _status(job.id, "pending", attempts=1))
            row = await Job.get(id=job.id)
            assert "probe asked to fail" in (row.last_error or "")
            assert row.run_at > utcnow() + timedelta(seconds=2)  # backed off (5 s ± half at the first failure)
            assert await engine.relay_once(broker) == 0  # not due yet
            await Job.filter(id=job.id).update(run_at=utcnow())  # the back-off passes
            await engine.relay_once(broker)
            await wait_for(lambda: _status(job.id, "failed", attempts=2))  # attempts used up: the dead letter
            assert [j.id for j in await jobs.dead_letters()] == [job.id]
            await Job.filter(id=job.id).update(payload=probe("r2", 1))  # the cause is put right
            assert await jobs.retry(job_id=job.id)
            assert not await jobs.retry(job_id=job.id)  # no longer a dead letter
            await engine.relay_once(broker)
            await wait_for(lambda: _status(job.id, "done", attempts=1))
    finally:
        await broker.shutdown()
    assert jobs.read_probe("r2") == ["r2 1"]


async def _status(job_id: int, status: str, *, attempts: int) -> bool:
    row = await Job.get(id=job_id)
    return row.status == status and row.attempts == attempts


async def test_broker_down_jobs_wait_in_the_outbox_and_flow_when_it_returns(db: None, engine_settings: Any,
                                                                             tmp_path: Any) -> None:
    proxy = TcpProxy(8151)
    s = broker_settings(tmp_path, jobs_broker_url="amqp://guest:guest@127.0.0.1:8151/",
                        jobs_queue=engine_settings.jobs_queue)
    await proxy.start()
    try:
        async with running(lambda stop: engine.run_worker(s, stop)), \
                running(lambda stop: engine.run_relay(s, [], stop)):
            await jobs.enqueue_many("jobs.probe", [probe("r3", i) for i in range(20)])
            await wait_for(lambda: _done(20))
            await proxy.stop()  # the broker goes away (every connection cut)
            await jobs.enqueue_many("jobs.probe", [probe("r3", i) for i in range(20, 50)])
            await _sleep(2.0)
            assert await Job.filter(status="done").count() == 20
            # waiting in the outbox, none lost (a row whose send was cut short waits relayed until its lease ends)
            assert await Job.filter(status__in=("pending", "queued")).count() == 30
            await proxy.start()  # it returns: the robust connections reconnect by themselves
            await wait_for(lambda: _done(50), timeout=60)
    finally:
        await proxy.stop()
    assert sorted(jobs.read_probe("r3")) == sorted(f"r3 {i}" for i in range(50))


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_a_lost_message_or_worker_is_sent_again_after_its_lease(db: None, engine_settings: Any) -> None:
    s = engine_settings
    a = await jobs.enqueue("jobs.probe", probe("r4", 1))
    b = await jobs.enqueue("jobs.probe", probe("r4", 2))
    assert a is not None and b is not None
    past = utcnow() - timedelta(seconds=1)
    # a: relayed, its message lost; b: claimed by a worker that died on it
    await Job.filter(id=a.id).update(status="queued", locked_by="relay:gone", locked_until=past)
    await Job.filter(id=b.id).update(status="running", locked_by="host:1", locked_until=past, attempts=1)
    broker = engine.make_broker(s)
    await broker.startup()
    try:
        async with running(lambda stop: engine.run_worker(s, stop)):
            assert await engine.relay_once(broker) == 2
            await wait_for(lambda: _done(2))
    finally:
        await broker.shutdown()
    assert (await Job.get(id=b.id)).attempts == 2
    assert sorted(jobs.read_probe("r4")) == ["r4 1", "r4 2"]
