"""Jobs on RabbitMQ through taskiq: a relay moves due outbox rows to the broker, workers run them.

The outbox (``Job``) stays the source of truth. A message carries only a job id; a worker claims
its row (queued → running) with a compare-and-set, so a message delivered twice runs its job once.
Retries, back-off, scheduling (``run_at``) and the dead letter are the outbox's (service.execute).
A row whose worker died (its lease ran out) or whose message was lost is sent again by the relay.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from taskiq import AsyncBroker
from taskiq.acks import AcknowledgeType
from taskiq.api import run_receiver_task
from taskiq_aio_pika import AioPikaBroker, Exchange, Queue, QueueType
from tortoise.expressions import F

from app.config import Settings, get_settings
from app.core import metrics
from app.core.clock import utcnow
from app.jobs import service
from app.jobs.models import Job

log = logging.getLogger("fawu.jobs.engine")

TASK_NAME = "fawu.run_job"


class _Worker:
    """This process's worker state: jobs in flight, and whether it is stopping."""

    in_flight = 0
    draining = False


async def run_job(job_id: int) -> str:
    """The one taskiq task: claim outbox row ``job_id`` and run it. Returns what happened."""
    if _Worker.draining:  # stopping: hand the job straight back to the relay
        await Job.filter(id=job_id, status="queued").update(status="pending", locked_by=None, locked_until=None)
        return "handed back"
    now = utcnow()
    claimed = await Job.filter(id=job_id, status="queued").update(
        status="running", locked_by=service.WORKER_ID, attempts=F("attempts") + 1,
        locked_until=now + timedelta(seconds=get_settings().jobs_lease_seconds))
    if not claimed:
        return "skipped"  # already run, running elsewhere, or sent again after a lost message
    _Worker.in_flight += 1
    try:
        job = await Job.get(id=job_id)
        await service.execute(job)
    finally:
        _Worker.in_flight -= 1
    return "run"


def make_broker(settings: Settings, *, worker: bool = False) -> AioPikaBroker:
    """The taskiq broker on RabbitMQ (classic durable queue, persistent messages, acked after the
    job ran: a worker killed mid-job leaves its message to be delivered again)."""
    q = settings.jobs_queue
    broker = AioPikaBroker(
        url=settings.jobs_broker_url, qos=settings.jobs_worker_concurrency,
        exchange=Exchange(name=f"{q}.exchange"),
        task_queues=[Queue(name=q, type=QueueType.CLASSIC)],
        dead_letter_queue=Queue(name=f"{q}.dead", type=QueueType.CLASSIC),
        # connect_robust: reconnects by itself after the broker comes back
        reconnect_interval=1.0, timeout=5,
    )
    broker.register_task(run_job, task_name=TASK_NAME)
    broker.is_worker_process = worker
    return broker


async def start_broker(broker: AsyncBroker, stop: asyncio.Event, *, what: str) -> bool:
    """Connect, retrying every few seconds while the broker is down; False if stopped first."""
    delay = 1.0
    while not stop.is_set():
        try:
            await broker.startup()
            return True
        except Exception:  # the broker is down: jobs wait in the outbox; try again
            metrics.caught("jobs.broker_connect", log, "%s: broker not reachable, retrying", what,
                           level=logging.WARNING)
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            pass
        delay = min(delay * 2, 15.0)
    return False


async def recover_expired(now: datetime | None = None) -> int:
    """Rows whose lease ran out: a queued one's message was lost, a running one's worker died. Back to
    pending (sent again), or failed when the worker died on its last attempt. Returns how many."""
    now = now or utcnow()
    rows = await Job.filter(status__in=("queued", "running"), locked_until__lt=now).limit(1000).values(
        "id", "status", "attempts", "max_attempts")
    n = 0
    for r in rows:
        if r["status"] == "running" and r["attempts"] >= r["max_attempts"]:
            n += await Job.filter(id=r["id"], status="running", locked_until__lt=now).update(
                status="failed", last_error="worker lost mid-job (lease expired) on its last attempt",
                locked_by=None, locked_until=None, finished_at=now)
        else:
            n += await Job.filter(id=r["id"], status=r["status"], locked_until__lt=now).update(
                status="pending", locked_by=None, locked_until=None)
    if n:
        log.warning("%d jobs sent again after their lease expired", n)
    return n


async def relay_once(broker: AsyncBroker, *, now: datetime | None = None, settings: Settings | None = None) -> int:
    """Move due pending rows to the broker (at most a batch, and no more than four batches waiting in
    the broker). A row whose message could not be sent goes back to pending. Returns how many went."""
    settings = settings or get_settings()
    now = now or utcnow()
    await recover_expired(now)
    room = 4 * settings.jobs_relay_batch - await Job.filter(status="queued").count()
    if room <= 0:
        return 0
    ids = await Job.filter(status="pending", run_at__lte=now).order_by("run_at", "id").limit(
        min(room, settings.jobs_relay_batch)).values_list("id", flat=True)
    if not ids:
        return 0
    token = f"relay:{uuid.uuid4().hex[:16]}"
    await Job.filter(id__in=list(ids), status="pending").update(
        status="queued", locked_by=token, locked_until=now + timedelta(seconds=settings.jobs_lease_seconds))
    claimed: list[int] = [int(cast(Any, i)) for i in await Job.filter(locked_by=token, status="queued").values_list("id", flat=True)]
    task = broker.find_task(TASK_NAME)
    assert task is not None
    unsent: list[int] = []
    for start in range(0, len(claimed), 100):
        chunk = claimed[start:start + 100]
        results = await asyncio.gather(*(task.kiq(job_id) for job_id in chunk), return_exceptions=True)
        unsent += [job_id for job_id, res in zip(chunk, results, strict=True) if isinstance(res, BaseException)]
    if unsent:
        await Job.filter(id__in=unsent, status="queued", locked_by=token).update(
            status="pending", locked_by=None, locked_until=None)
        raise ConnectionError(f"{len(unsent)} of {len(claimed)} jobs not sent to the broker; they wait in the outbox")
    metrics.jobs_relayed.inc(len(claimed))
    return len(claimed)


async def run_relay(settings: Settings, schedules: list[service.Schedule], stop: asyncio.Event) -> None:
    """The scheduler process: the periodic schedules (each once for the whole deployment) and the
    relay, until ``stop`` is set. A broker outage only delays: jobs wait in the outbox."""
    broker = make_broker(settings)
    if not await start_broker(broker, stop, what="relay"):
        return
    last: dict[str, float] = {}
    try:
        while not stop.is_set():
            moved = 0
            try:
                await service.run_due_schedules(schedules, last)
                moved = await relay_once(broker, settings=settings)
            except Exception:  # the database or the broker is away: the next look tries again
                metrics.caught("jobs.relay", log, "relay error", level=logging.WARNING)
            if moved < settings.jobs_relay_batch:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=settings.jobs_relay_interval)
                except TimeoutError:
                    pass
    finally:
        await broker.shutdown()


async def run_worker(settings: Settings, stop: asyncio.Event, *, concurrency: int | None = None) -> None:
    """An engine worker: taskiq's receiver on the queue until ``stop`` is set."""
    _Worker.draining = False
    broker = make_broker(settings, worker=True)
    if not await start_broker(broker, stop, what="worker"):
        return
    receiver: asyncio.Task[Any] = asyncio.create_task(run_receiver_task(
        broker, max_async_tasks=concurrency or settings.jobs_worker_concurrency,
        ack_time=AcknowledgeType.WHEN_EXECUTED, run_startup=False))
    try:
        await stop.wait()
        # SIGTERM: new deliveries go back to the outbox; the jobs in flight finish (up to shutdown_timeout;
        # one cut short is sent again when its lease ends)
        _Worker.draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.shutdown_timeout
        while _Worker.in_flight and loop.time() < deadline:
            await asyncio.sleep(0.1)
    finally:
        receiver.cancel()
        try:
            await receiver
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
            metrics.caught("jobs.worker_stop", log, "receiver stopped", level=logging.DEBUG)
        await broker.shutdown()
