"""Deadline warnings: in working hours only, exactly once per threshold per case, across runners."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from app.cases import service, tasks
from app.cases.models import Case, CaseReminder
from app.core import clock
from app.core.clock import LOCAL_TZ
from app.jobs.models import Job
from tests.cases.conftest import Team


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, s, tzinfo=LOCAL_TZ).astimezone(UTC)


async def _open(team: Team, **kw: Any) -> Case:
    case = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评",
                                   township_code="YXJD", **kw)
    await service.take(actor=team.clerk, case_id=case.id)
    return case


async def _check(now: datetime) -> int:
    clock.freeze(now)
    return await tasks.check_deadlines()


async def test_warned_once_per_threshold_in_working_hours_only(team: Team, drain_jobs: Any) -> None:
    clock.freeze(at(2025, 3, 3, 10))  # Monday; 15 working days -> 03-24 24:00
    case = await _open(team)
    assert await _check(at(2025, 3, 21, 16)) == 0  # not yet due soon
    assert await _check(at(2025, 3, 24, 0, 30)) == 0  # due soon since Sunday midnight, but 00:30 is not working hours
    assert await _check(at(2025, 3, 24, 12, 30)) == 0  # lunch break
    assert await _check(at(2025, 3, 24, 8, 30, 20)) == 1  # first check in working hours
    assert await _check(at(2025, 3, 24, 8, 30, 50)) == 0
    await drain_jobs()
    reminders = await CaseReminder.filter(case_id=case.id)
    assert [(r.threshold, r.staff_ids) for r in reminders] == [("due_soon", [team.clerk.id, team.leader_id])]
    mine = await service.my_reminders(actor=team.clerk)
    assert [r.case_id for r in mine] == [case.id]
    # a restarted runner that lost its memory (marks cleared) still cannot warn twice: the outbox key
    await Case.filter(id=case.id).update(due_soon_warned_at=None)
    assert await _check(at(2025, 3, 24, 9)) == 0
    await drain_jobs()
    # overdue next morning
    assert await _check(at(2025, 3, 25, 9)) == 1
    await drain_jobs()
    assert sorted(r.threshold for r in await CaseReminder.filter(case_id=case.id)) == ["due_soon", "overdue"]
    assert await Job.filter(name="cases.remind").count() == 2
    assert await _check(at(2025, 3, 26, 9)) == 0


async def test_make_up_sunday_is_a_working_day_for_warnings(team: Team, drain_jobs: Any) -> None:
    clock.freeze(at(2025, 9, 5, 10))  # Friday; 15 working days -> 09-26 24:00; due soon from 09-25 24:00
    case = await _open(team)
    assert case.deadline_at == at(2025, 9, 26, 23, 59, 59)
    clock.freeze(at(2025, 9, 22, 10))
    case = await service.return_for_info(actor=team.clerk, case_id=case.id, reason="请补充说明")
    assert await _check(at(2025, 9, 26, 10)) == 0  # paused: no warnings
    clock.freeze(at(2025, 9, 26, 15))
    case = await service.start(actor=team.clerk, case_id=case.id)
    # 4 days 14 h of working time were left at the pause; after resuming, 09-26 (9 h), the make-up
    # Sunday 09-28, 09-29 and 09-30 use 3 days 9 h; the holiday week counts nothing; 1 day 5 h remain
    assert case.deadline_at == at(2025, 10, 10, 4, 59, 59)
    assert await _check(at(2025, 10, 8, 10)) == 0  # a holiday, and not due soon yet
    assert await _check(at(2025, 10, 9, 8, 0)) == 0  # due soon since 04:59, but before working hours
    assert await _check(at(2025, 10, 9, 8, 31)) == 1


async def test_warning_on_a_make_up_saturday(team: Team) -> None:
    clock.freeze(at(2025, 9, 15, 10))  # Monday; 15 wd count 09-28 (Sun) and end 10-11 (make-up Sat)
    case = await _open(team)
    assert case.deadline_at == at(2025, 10, 11, 23, 59, 59)
    assert await _check(at(2025, 10, 11, 9)) == 1  # a Saturday, but a working one


async def test_unowned_case_warns_the_township_staff(team: Team, drain_jobs: Any) -> None:
    clock.freeze(at(2025, 3, 3, 10))
    case = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评",
                                   township_code="YXJD")
    assert await _check(at(2025, 3, 24, 9)) == 1
    await drain_jobs()
    r = await CaseReminder.get(case_id=case.id)
    assert set(r.staff_ids) >= {team.clerk.id, team.clerk2.id} and team.other.id not in r.staff_ids


async def test_two_runners_racing_warn_exactly_once(team: Team, drain_jobs: Any) -> None:
    """Several runners (concurrent connections on MariaDB) checking at the same moment."""
    clock.freeze(at(2025, 3, 3, 10))
    ids = [(await _open(team)).id for _ in range(12)]
    clock.freeze(at(2025, 3, 24, 9))
    results = await asyncio.gather(*(tasks.check_deadlines() for _ in range(4)))
    assert sum(results) == 12
    assert await Job.filter(name="cases.remind").count() == 12
    await asyncio.gather(drain_jobs(), drain_jobs())
    for cid in ids:
        assert await CaseReminder.filter(case_id=cid).count() == 1


@pytest.mark.mariadb_only
async def test_runner_processes_racing_on_mariadb_warn_exactly_once(team: Team, settings: Any) -> None:
    """Three processes (this one and two others) check the same due cases at the same moment."""
    import sys

    clock.freeze(at(2025, 3, 3, 10))
    ids = [(await _open(team)).id for _ in range(20)]
    now = at(2025, 3, 24, 9)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.cases.race_runner", settings.database_url, now.isoformat(),
        stdout=asyncio.subprocess.PIPE) for _ in range(2)]
    clock.freeze(now)
    mine = sum(await asyncio.gather(*(tasks.check_deadlines() for _ in range(3))))
    outs = [await p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    theirs = sum(int(out.decode().strip().splitlines()[-1]) for out, _ in outs)
    assert mine + theirs == len(ids)
    assert await Job.filter(name="cases.remind").count() == len(ids)
