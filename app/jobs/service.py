"""Enqueue and run jobs. Handlers are idempotent and registered by name in app.wiring.

The outbox (``Job``) is the source of truth for both runners. The in-process runner (the embedded
default, no broker) claims one due job at a time with a compare-and-set on its status;
app/jobs/engine.py relays due rows to RabbitMQ for taskiq workers, which claim them the same way.
Status: pending → (queued →) running → done, or back to pending after a back-off, or failed (the
dead letter) after ``max_attempts``; ``retry()`` puts a failed job back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from app.config import get_settings
from app.core import metrics
from app.core.actor import Actor
from app.core.clock import utcnow
from app.jobs.models import Job

log = logging.getLogger("fawu.jobs")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
_handlers: dict[str, Handler] = {}
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def register(name: str) -> Callable[[Handler], Handler]:
    """Register a job handler under "domain.verb"."""

    def deco(fn: Handler) -> Handler:
        _handlers[name] = fn
        return fn

    return deco


def handlers() -> dict[str, Handler]:
    return dict(_handlers)


async def enqueue(name: str, payload: dict[str, Any] | None = None, *, run_at: datetime | None = None,
                  dedupe_key: str | None = None, max_attempts: int = 5) -> Job | None:
    """Write a job (inside the caller's transaction when there is one). None if deduplicated."""
    try:
        return await Job.create(name=name, payload=payload or {}, run_at=run_at or utcnow(),
                                dedupe_key=dedupe_key, max_attempts=max_attempts)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None


async def enqueue_many(name: str, payloads: list[dict[str, Any]], *, run_at: datetime | None = None,
                       max_attempts: int = 5) -> int:
    """Write many jobs in one statement (no dedupe keys): probes, benches, fan-outs."""
    when = run_at or utcnow()
    await Job.bulk_create([Job(name=name, payload=p, run_at=when, max_attempts=max_attempts) for p in payloads])
    return len(payloads)


async def claim_next(now: datetime | None = None, lease_seconds: int = 60) -> Job | None:
    now = now or utcnow()
    candidates = await Job.filter(status="pending", run_at__lte=now).order_by("run_at", "id").limit(5)
    # also reclaim jobs whose worker died mid-run (or that a broker deployment left relayed)
    candidates += await Job.filter(status__in=("running", "queued"), locked_until__lt=now).limit(2)
    for job in candidates:
        updated = await Job.filter(id=job.id, status=job.status, attempts=job.attempts).update(
            status="running", locked_by=WORKER_ID, locked_until=now + timedelta(seconds=lease_seconds),
            attempts=job.attempts + 1,
        )
        if updated:
            await job.refresh_from_db()
            return job
    return None


async def execute(job: Job) -> None:
    """Run a claimed job's handler and record the outcome: done; or pending again after a back-off
    (``2**attempts * 5`` s, jittered, at most an hour); or, after ``max_attempts``, failed (the dead
    letter: shown in the console at /console/jobs, where it can be retried). Both runners use it."""
    handler = _handlers.get(job.name)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for job {job.name}")
        await handler(job.payload)
    except Exception as exc:  # a job failure is recorded and retried, never lost
        metrics.caught("jobs.run", log, "job %s #%s failed", job.name, job.id)
        metrics.jobs_run.labels(job.name, "error").inc()
        final = job.attempts >= job.max_attempts
        delay = min(3600, 2 ** job.attempts * 5) * (0.5 + random.random())
        await Job.filter(id=job.id).update(
            status="failed" if final else "pending", last_error=f"{type(exc).__name__}: {exc}"[:2000],
            locked_by=None, locked_until=None, run_at=utcnow() + timedelta(seconds=delay),
            finished_at=utcnow() if final else None,
        )
        return
    metrics.jobs_run.labels(job.name, "ok").inc()
    await Job.filter(id=job.id).update(status="done", finished_at=utcnow(), locked_by=None, locked_until=None)


async def run_one(now: datetime | None = None) -> bool:
    """Claim and run one due job; False when none was due."""
    job = await claim_next(now)
    if job is None:
        return False
    await execute(job)
    return True


async def drain(max_jobs: int = 1000, now: datetime | None = None) -> int:
    """Run due jobs until none is left (tests and the CLI)."""
    n = 0
    while n < max_jobs and await run_one(now):
        n += 1
    return n


Schedule = tuple[str, float | Callable[[], float], Callable[[], Awaitable[Any]]]
"""(name, every seconds, or a function giving them from the settings of the moment, the coroutine)."""


async def run_due_schedules(schedules: list[Schedule], last: dict[str, float]) -> None:
    """Run each schedule whose interval has passed since its last run (``last``: loop times)."""
    loop = asyncio.get_running_loop()
    for name, every, fn in schedules:
        if loop.time() - last.get(name, -1e9) >= (every() if callable(every) else every):
            last[name] = loop.time()
            await fn()


async def run_forever(schedules: list[Schedule], stop: asyncio.Event, poll: float = 1.0) -> None:
    """The in-process worker: runs due jobs and periodic schedules until ``stop`` is set."""
    last: dict[str, float] = {}
    while not stop.is_set():
        try:
            await run_due_schedules(schedules, last)
            while await run_one():
                if stop.is_set():
                    break
        except Exception:  # the worker keeps running: the next poll tries again
            metrics.caught("jobs.worker", log, "worker loop error")
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll)
        except TimeoutError:
            pass


def _holds(value: Any, needles: set[str]) -> bool:
    if isinstance(value, str):
        return any(n in value for n in needles)
    if isinstance(value, dict):
        return any(_holds(v, needles) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, needles) for v in value)
    return False


async def scrub_payloads(*, values: set[str], batch: int = 500) -> int:
    """Erasure (删除权): every job whose payload or key holds one of ``values`` (an openid, say) loses
    its payload, key and error text; a pending one is cancelled (it could only act on the erased
    person). Returns how many."""
    needles = {v for v in values if v}
    if not needles:
        return 0
    n, last = 0, 0
    while True:
        rows = await Job.filter(id__gt=last).order_by("id").limit(batch).values(
            "id", "payload", "dedupe_key", "last_error")
        if not rows:
            return n
        last = rows[-1]["id"]
        hit = [r["id"] for r in rows if _holds([r["payload"], r["dedupe_key"] or "", r["last_error"] or ""], needles)]
        if hit:
            await Job.filter(id__in=hit, status="pending").update(status="failed")
            n += await Job.filter(id__in=hit).update(payload={"erased": True}, dedupe_key=None, last_error="erased")


STATUSES = ("pending", "queued", "running", "done", "failed")


async def counts() -> dict[str, int]:
    """Jobs per status (the console's and `fawu jobs status`'s figures)."""
    return {st: await Job.filter(status=st).count() for st in STATUSES}


async def dead_letters(*, limit: int = 200) -> list[Job]:
    """Failed jobs (their attempts used up), newest first."""
    return await Job.filter(status="failed").order_by("-finished_at", "-id").limit(limit)


async def retry(*, job_id: int, actor: Actor | None = None, ip: str = "") -> bool:
    """Put a failed job back in the outbox, due now, with its attempts counted afresh (audited; a staff
    member needs the right ``jobs.manage``). False when it is not (or no longer) failed, or was erased."""
    # function-level: a module-level import makes wiring → jobs → staff → org a cycle
    from app.staff import service as staff_service

    if actor is not None:
        staff_service.require_right(actor, "jobs.manage")
    job = await Job.get_or_none(id=job_id)
    if job is None or job.payload == {"erased": True}:
        return False
    ok = bool(await Job.filter(id=job_id, status="failed").update(
        status="pending", attempts=0, run_at=utcnow(), finished_at=None, locked_by=None, locked_until=None))
    if ok:
        await staff_service.audit(actor=actor, action="jobs.retried", target_type="job", target_id=job_id,
                                  detail={"name": job.name}, ip=ip)
    return ok


def probe_log(run: str) -> str:
    """Where the probe jobs of run ``run`` write their lines (app/jobs/tasks.py)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", run):
        raise ValueError("probe run ids are letters, digits, _ and -")
    return str(get_settings().var_dir / "probe" / f"{run}.log")


def read_probe(run: str) -> list[str]:
    """The runs a probe run's jobs made, ``"<run> <i>"`` each (the CLI and the bench count them)."""
    try:
        with open(probe_log(run), encoding="utf-8") as fh:
            return [" ".join(line.split(" ")[:2]) for line in fh.read().split("\n")[:-1]]
    except FileNotFoundError:
        return []


def probe_workers(run: str) -> dict[str, int]:
    """How many of a probe run's jobs each worker ran."""
    out: dict[str, int] = {}
    try:
        with open(probe_log(run), encoding="utf-8") as fh:
            for line in fh.read().split("\n")[:-1]:
                w = line.split(" ", 2)[2] if line.count(" ") >= 2 else "?"
                out[w] = out.get(w, 0) + 1
    except FileNotFoundError:
        pass
    return out
