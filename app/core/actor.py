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
    # 三权分立 (等保 2.0 level 3): three administrators, each one role of one account, none of them
    # reads residents' data (their scope is empty)
    SYSTEM_ADMIN = "system_admin"  # 系统管理员: staff accounts (create, disable, unlock)
    SECURITY_ADMIN = "security_admin"  # 安全管理员: roles, second factors
    AUDIT_ADMIN = "audit_admin"  # 审计管理员: reads, verifies and exports the audit log, nothing else


ROLE_ZH = {
    Role.DISTRICT_ADMIN: "区管理员", Role.TOWNSHIP_STAFF: "镇街工作人员", Role.LAWYER: "法律顾问/律师",
    Role.MEDIATOR: "调解员", Role.SUPERVISOR: "督导（只读）",
    Role.SYSTEM_ADMIN: "系统管理员", Role.SECURITY_ADMIN: "安全管理员", Role.AUDIT_ADMIN: "审计管理员",
}
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# 安全标记 (等保 2.0 访问控制 g): sensitivity levels of residents' data (cases; personal fields) and
# the clearance of staff. A staff member reads an object only when its level is at most their clearance.
PUBLIC, INTERNAL, SENSITIVE, SECRET = 0, 1, 2, 3
LEVEL_ZH = {PUBLIC: "公开", INTERNAL: "内部", SENSITIVE: "敏感", SECRET: "机密"}
DEFAULT_CASE_LEVEL = INTERNAL
DEFAULT_CLEARANCE = SENSITIVE
# personal fields: what revealing each in full requires
FIELD_LEVEL = {"phone": SENSITIVE, "id_number": SENSITIVE, "case_text": SENSITIVE}


@dataclass(frozen=True)
class Actor:
    """The staff member behind an action (services take it as ``actor=``)."""

    id: int
    name: str
    role: Role
    scope: OrgScope
    unit_codes: tuple[str, ...] = ()
    clearance: int = DEFAULT_CLEARANCE  # 安全标记: the highest level of data they may read

    def cleared_for(self, level: int) -> bool:
        return level <= self.clearance

    @property
    def read_only(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.AUDIT_ADMIN)

    @property
    def is_district(self) -> bool:
        return self.scope.all_units


SYSTEM = Actor(id=0, name="系统", role=Role.DISTRICT_ADMIN, scope=OrgScope.everything(), clearance=SECRET)
