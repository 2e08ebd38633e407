"""A job handler meets WeChat's failures (the emulator's -1, 40001, 45009 and a timeout) while the
engine runs it from RabbitMQ: a refused token is refreshed inside the same attempt; -1, 45009 and a
timeout fail the attempt, which the outbox retries after its back-off, and the effect happens once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.config import set_settings
from app.core.clock import utcnow
from app.emulator.state import Fault
from app.jobs import engine
from app.jobs import service as jobs
from app.jobs.models import Job
from app.matrix.service import load_matrix, set_matrix
from app.residents.models import Resident
from tests.jobs.conftest import broker_settings, running, wait_for

ACCOUNT = "yx_district"


@pytest.fixture
def fast_timeouts(engine_settings: Any, tmp_path: Path) -> Any:
    s = broker_settings(tmp_path, jobs_queue=engine_settings.jobs_queue, wechat_http_timeout=0.3)
    set_settings(s)
    set_matrix(load_matrix(s.matrix_dir))
    return s


async def _row(job_id: int) -> Job:
    return await Job.get(id=job_id)


@pytest.mark.parametrize(("fault", "first_attempt"), [
    (Fault(endpoint="cgi-bin/user/info", kind="errcode", errcode=40001, errmsg="invalid credential", remaining=1),
     "done"),
    (Fault(endpoint="cgi-bin/user/info", kind="errcode", errcode=-1, remaining=10), "SystemBusy"),
    (Fault(endpoint="cgi-bin/user/info", kind="errcode", errcode=45009, errmsg="api freq out of limit", remaining=10),
     "ApiQuotaExceeded"),
    (Fault(endpoint="cgi-bin/user/info", kind="timeout", delay=1.0, remaining=10), "WeChatTimeout"),
], ids=["40001", "-1", "45009", "timeout"])
async def test_user_info_job_through_wechat_faults(db: None, fast_timeouts: Any, emulator: Any,
                                                   fault: Fault, first_attempt: str) -> None:
    s = fast_timeouts
    acc = emulator.by_key(ACCOUNT)
    emulator.add_follower(acc, openid="o_jobfault", unionid="u_jobfault")
    from app.wechat.client import get_client

    get_client().busy_backoff = 0.01
    await get_client().access_token(ACCOUNT)  # a token in hand: 40001 then refuses it
    emulator.faults.append(fault)
    job = await jobs.enqueue("wechat.fetch_user_info", {"account_key": ACCOUNT, "openid": "o_jobfault"})
    assert job is not None
    broker = engine.make_broker(s)
    await broker.startup()
    try:
        async with running(lambda stop: engine.run_worker(s, stop)):
            await engine.relay_once(broker)
            await wait_for(lambda: _settled(job.id))
            row = await _row(job.id)
            if first_attempt == "done":
                assert row.status == "done" and row.attempts == 1
            else:
                assert row.status == "pending" and row.attempts == 1
                assert (row.last_error or "").startswith(first_attempt)
                assert row.run_at > utcnow() + timedelta(seconds=2)  # backed off, not hammering WeChat
                assert await Resident.filter(unionid="u_jobfault").count() == 0
                emulator.faults.clear()  # WeChat recovers
                await Job.filter(id=job.id).update(run_at=utcnow())  # the back-off passes
                await engine.relay_once(broker)
                await wait_for(lambda: _status(job.id, "done"))
                assert (await _row(job.id)).attempts == 2
    finally:
        await broker.shutdown()
    assert await Resident.filter(unionid="u_jobfault").count() == 1  # the effect, once


async def _settled(job_id: int) -> bool:
    return (await _row(job_id)).status in ("done", "pending", "failed") and (await _row(job_id)).attempts >= 1


async def _status(job_id: int, status: str) -> bool:
    return (await _row(job_id)).status == status
