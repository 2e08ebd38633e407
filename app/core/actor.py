"""Who is acting: a staff member with a role and an org scope, or the system / a resident."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.scope import OrgScope


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"  # 区管理员
    TOWNSHIP_STAFF = "township_staff"  # 镇街工作人员
    LAWYER = "lawyer"  # 法律顾问/律师
    MEDIATOR = "mediator"  # 调解员
    SUPERVISOR = "supervisor"  # 只读督导


ROLE_ZH = {
    Role.DISTRICT_ADMIN: "区管理员", Role.TOWNSHIP_STAFF: "镇街工作人员", Role.LAWYER: "法律顾问/律师",
    Role.MEDIATOR: "调解员", Role.SUPERVISOR: "督导（只读）",
}


@dataclass(frozen=True)
class Actor:
    """The staff member behind an action (services take it as ``actor=``)."""

    id: int
    name: str
    role: Role
    scope: OrgScope
    unit_codes: tuple[str, ...] = ()

    @property
    def read_only(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_district(self) -> bool:
        return self.scope.all_units


SYSTEM = Actor(id=0, name="系统", role=Role.DISTRICT_ADMIN, scope=OrgScope.everything())
