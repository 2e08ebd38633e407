"""Case states (受理 → 分派 → 办理 → 反馈 → 评价 → 归档) and the one table of allowed transitions.

Every status change in the domain goes through ``target(action, status)``: an action not allowed
from the current status raises ``InvalidTransition``; the console asks ``allowed`` to show buttons.
"""

from __future__ import annotations

from enum import StrEnum

from app.errors import Conflict


class CaseStatus(StrEnum):
    ACCEPTED = "accepted"  # 受理
    ASSIGNED = "assigned"  # 分派
    IN_PROGRESS = "in_progress"  # 办理
    WAITING_INFO = "waiting_info"  # 待补充材料 (clock paused where the limit says so)
    RESULT_GIVEN = "result_given"  # 反馈
    RATED = "rated"  # 评价
    CLOSED = "closed"  # 办结（撤回/重复/无法联系等，不经反馈）
    ARCHIVED = "archived"  # 归档


S = CaseStatus
OPEN_STATUSES: tuple[CaseStatus, ...] = (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_INFO)
FINISHED_STATUSES: tuple[CaseStatus, ...] = (S.RESULT_GIVEN, S.RATED, S.CLOSED, S.ARCHIVED)
HANDLING = frozenset({S.ASSIGNED, S.IN_PROGRESS})

# action → (statuses it may start from, status it leads to). ``None`` keeps the status.
TRANSITIONS: dict[str, tuple[frozenset[CaseStatus], CaseStatus | None]] = {
    "take": (frozenset(OPEN_STATUSES), None),  # accepted → assigned (see ``after_owner``)
    "start": (frozenset({S.ASSIGNED, S.WAITING_INFO}), S.IN_PROGRESS),
    "reply": (frozenset(OPEN_STATUSES), None),  # an assigned case starts (see ``after_reply``)
    "return_for_info": (HANDLING, S.WAITING_INFO),
    "info_supplied": (frozenset({S.WAITING_INFO}), S.IN_PROGRESS),
    "give_result": (HANDLING, S.RESULT_GIVEN),
    "rate": (frozenset({S.RESULT_GIVEN}), S.RATED),
    "close": (frozenset(OPEN_STATUSES), S.CLOSED),
    "reopen": (frozenset(FINISHED_STATUSES), S.IN_PROGRESS),  # to accepted when nobody owns it
    "archive": (frozenset({S.RESULT_GIVEN, S.RATED, S.CLOSED}), S.ARCHIVED),
    "transfer": (frozenset(OPEN_STATUSES) | {S.RESULT_GIVEN, S.RATED, S.CLOSED}, None),
    "recategorize": (frozenset(OPEN_STATUSES) | frozenset(FINISHED_STATUSES), None),
    "mark_urgent": (frozenset(OPEN_STATUSES), None),
    "resident_message": (frozenset(OPEN_STATUSES), None),
}


class InvalidTransition(Conflict):
    code = "case_invalid_transition"
    message_zh = "案件当前状态不允许此操作，请刷新后重试。"


def allowed(action: str, status: str) -> bool:
    """True when ``action`` may be taken on a case in ``status``."""
    froms, _ = TRANSITIONS[action]
    return status in froms


def target(action: str, status: str, *, owned: bool = True) -> CaseStatus:
    """The status after ``action`` from ``status``; InvalidTransition when not allowed."""
    froms, to = TRANSITIONS[action]
    if status not in froms:
        raise InvalidTransition()
    current = CaseStatus(status)
    if action == "reopen" and not owned:
        return S.ACCEPTED
    if action == "take":
        return S.ASSIGNED if current == S.ACCEPTED else current
    if action == "reply":
        return S.IN_PROGRESS if current == S.ASSIGNED else current
    return to if to is not None else current


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def actions_for(status: str) -> dict[str, bool]:
    """Every action with whether it is allowed now (for the console's buttons)."""
    return {a: allowed(a, status) for a in TRANSITIONS}
