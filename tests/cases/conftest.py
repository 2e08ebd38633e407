"""Fixtures for the case desk: staff of two townships, a district admin, a lawyer, a supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.core.actor import Actor, Role
from tests import factories


@dataclass
class Team:
    admin: Actor  # district (YX)
    clerk: Actor  # 云溪街道 YXJD
    clerk2: Actor  # 云溪街道 YXJD
    lawyer: Actor  # 锦绣社区 JXSQ (in YXJD)
    other: Actor  # 桃源镇 TYZ: another township
    inspector: Actor  # read-only supervisor of the district
    leader_id: int  # the clerks' supervisor (a township leader)


async def make_staff(username: str, name: str, role: Role, units: list[str], supervisor_id: int | None = None) -> Any:
    return await factories.make_staff(username=username, name=name, role=role, unit_codes=units,
                                      supervisor_id=supervisor_id, password=None)


async def build_team() -> Team:
    from app.staff.service import actor_for

    leader = await make_staff("leader", "赵站长", Role.TOWNSHIP_STAFF, ["YXJD"])
    admin = await make_staff("admin1", "王主任", Role.DISTRICT_ADMIN, ["YX"])
    clerk = await make_staff("clerk1", "李四", Role.TOWNSHIP_STAFF, ["YXJD"], leader.id)
    clerk2 = await make_staff("clerk2", "张三", Role.TOWNSHIP_STAFF, ["YXJD"], leader.id)
    lawyer = await make_staff("lawyer1", "孙律师", Role.LAWYER, ["JXSQ"], leader.id)
    other = await make_staff("other1", "陈五", Role.TOWNSHIP_STAFF, ["TYZ"])
    inspector = await make_staff("insp1", "督导甲", Role.SUPERVISOR, ["YX"])
    return Team(admin=await actor_for(admin), clerk=await actor_for(clerk), clerk2=await actor_for(clerk2),
                lawyer=await actor_for(lawyer), other=await actor_for(other),
                inspector=await actor_for(inspector), leader_id=leader.id)


@pytest.fixture
async def team(demo_org: None) -> Team:
    return await build_team()


@pytest.fixture(autouse=True)
def _unfreeze() -> Any:
    from app.core import calendar, clock

    calendar.load_file(None)
    yield
    clock.freeze(None)
    calendar.load_file(None)
