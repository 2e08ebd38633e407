"""Reads of the case inbox for the console: scoped lists, one case with its history, figures, export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q

from app.cases.base import CaseNotFound, InvalidCaseInput
from app.cases.deadlines import DUE_ZH, due_state
from app.cases.models import (
    CATEGORIES,
    CHANNEL_ZH,
    OPEN_STATUSES,
    STATUS_ZH,
    TYPE_ZH,
    Case,
    CaseEvent,
    CaseMessage,
    CaseReminder,
    TransferRequest,
)
from app.config import get_settings
from app.core import calendar
from app.core.actor import Actor
from app.core.clock import format_local, utcnow


@dataclass
class CasePage:
    """One page of cases: ``items`` (Case rows, each with ``due`` set), ``total``, ``page``, ``per_page``."""

    items: list[Case]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class CaseView:
    """One case for the console: the case, its history (oldest first), messages, transfers, due state."""

    case: Case
    events: list[CaseEvent]
    messages: list[CaseMessage]
    transfers: list[TransferRequest]
    due: str
    due_zh: str
    pending_transfer: TransferRequest | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _scoped(actor: Actor) -> Any:
    return actor.scope.apply(Case.all(), "township_code", "community_code")


async def list_cases(*, actor: Actor, status: str | None = None, type: str | None = None,
                     township_code: str | None = None, owner: str | None = None, due: str | None = None,
                     q: str | None = None, category: str | None = None, page: int = 1,
                     per_page: int = 20) -> CasePage:
    """The inbox within the actor's scope. Filters: status ("open" for all open ones), type, township,
    owner ("me", "none" or a staff id), due ("overdue", "due_soon", "paused"), q (number or summary),
    category (one of the 15 codes; InvalidCaseInput otherwise). Ordered by deadline (soonest first, paused last)."""
    if category and category not in CATEGORIES:
        raise InvalidCaseInput("未知的案件分类。")
    qs = _scoped(actor)
    now = utcnow()
    if status == "open":
        qs = qs.filter(status__in=list(OPEN_STATUSES))
    elif status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type=type)
    if township_code:
        qs = qs.filter(township_code=township_code)
    if category:
        qs = qs.filter(category=category)
    if owner == "me":
        qs = qs.filter(owner_id=actor.id)
    elif owner == "none":
        qs = qs.filter(owner_id__isnull=True)
    elif owner and owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    if due in ("overdue", "due_soon", "paused"):
        qs = qs.filter(status__in=list(OPEN_STATUSES))
        soon = now + timedelta(hours=get_settings().case_due_soon_hours)
        if due == "overdue":
            qs = qs.filter(deadline_at__lte=now)
        elif due == "due_soon":
            qs = qs.filter(deadline_at__gt=now, deadline_at__lte=soon)
        else:
            qs = qs.filter(paused=True)
    if q:
        qs = qs.filter(Q(number__icontains=q.strip()) | Q(summary__icontains=q.strip()))
    page = max(1, page)
    per_page = min(max(1, per_page), 200)
    total = await qs.count()
    items = await qs.order_by("paused", "deadline_at", "-opened_at").offset((page - 1) * per_page).limit(per_page)
    for c in items:
        c.due = due_state(c, now)  # type: ignore[attr-defined]
    return CasePage(items=items, total=total, page=page, per_page=per_page)


async def get_case(*, actor: Actor, case_id: int) -> CaseView:
    """One case with history, messages and transfers; CaseNotFound outside the actor's scope."""
    case = await Case.get_or_none(id=case_id)
    if case is None or not actor.scope.allows_any(case.township_code, case.community_code):
        raise CaseNotFound()
    events = await CaseEvent.filter(case_id=case.id).order_by("at", "id")
    messages = await CaseMessage.filter(case_id=case.id).order_by("at", "id")
    transfers = await TransferRequest.filter(case_id=case.id).order_by("created_at", "id")
    due = due_state(case)
    return CaseView(
        case=case, events=events, messages=messages, transfers=transfers, due=due, due_zh=DUE_ZH[due],
        pending_transfer=next((t for t in transfers if t.status == "pending"), None),
        labels={"type": TYPE_ZH.get(case.type, case.type), "status": STATUS_ZH.get(case.status, case.status),
                "channel": CHANNEL_ZH.get(case.channel, case.channel)},
    )


async def dashboard_figures(*, actor: Actor) -> dict[str, Any]:
    """Counts for the console's dashboard within scope: open, unowned, overdue, due soon, paused,
    by status / type / township, plus the calendar coverage warning (None when covered)."""
    now = utcnow()
    rows = await _scoped(actor).values("status", "type", "township_code", "owner_id", "deadline_at", "paused")
    soon = now + timedelta(hours=get_settings().case_due_soon_hours)
    figures: dict[str, Any] = {"total": len(rows), "open": 0, "unowned": 0, "overdue": 0, "due_soon": 0,
                               "paused": 0, "by_status": {}, "by_type": {}, "by_township": {}}
    for r in rows:
        figures["by_status"][r["status"]] = figures["by_status"].get(r["status"], 0) + 1
        figures["by_type"][r["type"]] = figures["by_type"].get(r["type"], 0) + 1
        t = r["township_code"] or ""
        figures["by_township"][t] = figures["by_township"].get(t, 0) + 1
        if r["status"] not in OPEN_STATUSES:
            continue
        figures["open"] += 1
        if r["owner_id"] is None:
            figures["unowned"] += 1
        if r["paused"] or r["deadline_at"] is None:
            figures["paused"] += 1
        elif r["deadline_at"] <= now:
            figures["overdue"] += 1
        elif r["deadline_at"] <= soon:
            figures["due_soon"] += 1
    figures["calendar_warning"] = calendar.coverage_warning_zh(60)
    return figures


async def my_reminders(*, actor: Actor, unread_only: bool = True) -> list[CaseReminder]:
    """Deadline warnings addressed to this staff member (as owner or supervisor), newest first."""
    qs = CaseReminder.all().order_by("-at")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    rows = await qs.limit(500).prefetch_related("case")
    return [r for r in rows if actor.id in (r.staff_ids or [])]


async def export_rows(*, actor: Actor) -> list[dict[str, Any]]:
    """Every case in scope as flat rows for a spreadsheet (no names, phones or ID numbers)."""
    out: list[dict[str, Any]] = []
    for c in await _scoped(actor).order_by("opened_at"):
        out.append({
            "编号": c.number, "类型": TYPE_ZH.get(c.type, c.type), "分类": c.category or "",
            "状态": STATUS_ZH.get(c.status, c.status), "渠道": CHANNEL_ZH.get(c.channel, c.channel),
            "镇街": c.township_code or "", "社区": c.community_code or "", "负责人": c.owner_name,
            "受理时间": format_local(c.opened_at), "期限": format_local(c.deadline_at),
            "期限暂定": "是" if c.deadline_provisional else "", "首次答复": format_local(c.first_response_at),
            "反馈时间": format_local(c.result_at), "反馈送达": c.result_delivery or "",
            "评价": c.rating or "", "紧急": "是" if c.urgent else "",
        })
    return out
