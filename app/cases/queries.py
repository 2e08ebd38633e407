"""Reads of the case inbox for the console: scoped lists, one case with its history, figures, export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count

from app.cases.base import CaseNotFound, InvalidCaseInput, _in_scope, _may_read, visible_cases
from app.cases.deadlines import DUE_ZH, due_state
from app.cases.models import (
    CATEGORIES,
    CATEGORY_ZH,
    CHANNEL_ZH,
    DELIVERY_ZH,
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
from app.core.actor import INTERNAL, Actor
from app.core.clock import format_local, utcnow
from app.org import service as org_service
from app.staff import service as staff_service


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
    handles: bool = True  # in the actor's units (else read-only: the first receiver's view)


def _scoped(actor: Actor) -> Any:
    return visible_cases(actor)


def _filtered(actor: Actor, *, status: str | None = None, type: str | None = None,
              township_code: str | None = None, owner: str | None = None, due: str | None = None,
              q: str | None = None, category: str | None = None, urgent: bool | None = None,
              now: datetime | None = None) -> Any:
    if category and category not in CATEGORIES:
        raise InvalidCaseInput("未知的案件分类。")
    qs = _scoped(actor)
    now = now or utcnow()
    if status == "open":
        qs = qs.filter(status__in=list(OPEN_STATUSES))
    elif status == "handled":  # 首问负责: cases I received first, now owned by someone else
        qs = qs.filter(first_owner_id=actor.id).exclude(owner_id=actor.id)
    elif status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type=type)
    if township_code:
        qs = qs.filter(township_code=township_code)
    if category:
        qs = qs.filter(category=category)
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
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
    return qs


async def list_cases(*, actor: Actor, status: str | None = None, type: str | None = None,
                     township_code: str | None = None, owner: str | None = None, due: str | None = None,
                     q: str | None = None, category: str | None = None, urgent: bool | None = None, page: int = 1,
                     per_page: int = 20) -> CasePage:
    """The inbox within what the actor may read. Filters: status ("open" for all open ones,
    "handled" for cases first received by the actor and owned by someone else now), type, township,
    owner ("me", "none" or a staff id), due ("overdue", "due_soon", "paused"), q (number or summary),
    category (one of the 15 codes; InvalidCaseInput otherwise), urgent. Urgent cases first, then by
    deadline (soonest first, paused last). Two queries."""
    now = utcnow()
    qs = _filtered(actor, status=status, type=type, township_code=township_code, owner=owner, due=due, q=q,
                   category=category, urgent=urgent, now=now)
    page = max(1, page)
    per_page = min(max(1, per_page), 200)
    total = await qs.count()
    items = await qs.order_by("-urgent", "paused", "deadline_at", "-opened_at").offset(
        (page - 1) * per_page).limit(per_page)
    for c in items:
        c.due = due_state(c, now)  # type: ignore[attr-defined]
    return CasePage(items=items, total=total, page=page, per_page=per_page)


async def count_tabs(*, actor: Actor, tabs: dict[str, dict[str, Any]], **filters: Any) -> dict[str, int]:
    """How many cases each inbox tab holds (``tabs``: key → list_cases filters), in one query."""
    now = utcnow()
    soon = now + timedelta(hours=get_settings().case_due_soon_hours)
    base = _filtered(actor, now=now, **filters)
    open_q = Q(status__in=list(OPEN_STATUSES))
    conds: dict[str, Q] = {}
    for key, tf in tabs.items():
        cond = Q(id__gt=0)
        if tf.get("status") == "open":
            cond &= open_q
        elif tf.get("status") == "handled":
            cond &= Q(first_owner_id=actor.id) & ~Q(owner_id=actor.id)
        if tf.get("owner") == "me":
            cond &= Q(owner_id=actor.id)
        elif tf.get("owner") == "none":
            cond &= Q(owner_id__isnull=True)
        if tf.get("urgent"):
            cond &= Q(urgent=True)
        due = tf.get("due")
        if due == "overdue":
            cond &= open_q & Q(deadline_at__lte=now)
        elif due == "due_soon":
            cond &= open_q & Q(deadline_at__gt=now, deadline_at__lte=soon)
        conds[key] = cond
    rows = await base.annotate(**{f"n_{k}": Count("id", _filter=c) for k, c in conds.items()}).values(
        *[f"n_{k}" for k in conds])
    row = rows[0] if rows else {}
    return {k: int(row.get(f"n_{k}") or 0) for k in conds}


async def get_case(*, actor: Actor, case_id: int) -> CaseView:
    """One case with history, messages and transfers; CaseNotFound unless the actor may read it
    (in scope, or its first receiver)."""
    case = await Case.get_or_none(id=case_id)
    if case is None or not _may_read(actor, case):
        raise CaseNotFound()
    events = await CaseEvent.filter(case_id=case.id).order_by("at", "id")
    messages = await CaseMessage.filter(case_id=case.id).order_by("at", "id")
    transfers = await TransferRequest.filter(case_id=case.id).order_by("created_at", "id")
    due = due_state(case)
    return CaseView(
        case=case, events=events, messages=messages, transfers=transfers, due=due, due_zh=DUE_ZH[due],
        pending_transfer=next((t for t in transfers if t.status == "pending"), None),
        labels={"type": TYPE_ZH.get(case.type, case.type), "status": STATUS_ZH.get(case.status, case.status),
                "channel": CHANNEL_ZH.get(case.channel, case.channel),
                "delivery": DELIVERY_ZH.get(case.result_delivery or "", "")},
        handles=_in_scope(actor, case),
    )


async def _grouped(qs: Any, field: str) -> dict[str, int]:
    rows = await qs.annotate(n=Count("id")).group_by(field).values(field, "n")
    return {(r[field] or ""): int(r["n"]) for r in rows}


async def dashboard_figures(*, actor: Actor) -> dict[str, Any]:
    """Counts for the console's dashboard within scope, computed by the database: open, unowned,
    overdue, due soon, paused, urgent, on-time results; by status / type / category / township /
    rating; plus the calendar coverage warning (None when covered)."""
    now = utcnow()
    soon = now + timedelta(hours=get_settings().case_due_soon_hours)
    qs = _scoped(actor)
    open_q = Q(status__in=list(OPEN_STATUSES))
    running = open_q & Q(paused=False) & Q(deadline_at__isnull=False)
    answered = Q(result_at__isnull=False) & Q(deadline_at__isnull=False)
    counts = {
        "total": Q(id__gt=0), "open": open_q, "unowned": open_q & Q(owner_id__isnull=True),
        "urgent": open_q & Q(urgent=True), "paused": open_q & (Q(paused=True) | Q(deadline_at__isnull=True)),
        "overdue": running & Q(deadline_at__lte=now),
        "due_soon": running & Q(deadline_at__gt=now) & Q(deadline_at__lte=soon),
        "answered": answered, "on_time": answered & Q(result_at__lte=F("deadline_at")),
    }
    rows = await qs.annotate(**{f"n_{k}": Count("id", _filter=c) for k, c in counts.items()}).values(
        *[f"n_{k}" for k in counts])
    row = rows[0] if rows else {}
    figures: dict[str, Any] = {k: int(row.get(f"n_{k}") or 0) for k in counts}
    figures["on_time_rate"] = 100.0 * figures["on_time"] / figures["answered"] if figures["answered"] else None
    figures["by_status"] = await _grouped(qs, "status")
    figures["by_type"] = await _grouped(qs, "type")
    figures["by_category"] = {k or "other": v for k, v in (await _grouped(qs, "category")).items()}
    figures["by_township"] = await _grouped(qs, "township_code")
    figures["by_rating"] = {k: v for k, v in (await _grouped(qs, "rating")).items() if k}
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
    """Every case in scope as flat rows for a spreadsheet, in Chinese (no names, phones or ID numbers);
    only roles with the export right (not the three administrators)."""
    staff_service.require_right(actor, "cases.export")
    units = {code: info.name for code, info in (await org_service.tree()).items()}
    out: list[dict[str, Any]] = []
    for c in await _scoped(actor).order_by("opened_at"):
        out.append({
            "编号": c.number, "类型": TYPE_ZH.get(c.type, c.type), "分类": CATEGORY_ZH.get(c.category or "", ""),
            "状态": STATUS_ZH.get(c.status, c.status), "渠道": CHANNEL_ZH.get(c.channel, c.channel),
            "镇街": units.get(c.township_code or "", c.township_code or ""),
            "社区": units.get(c.community_code or "", c.community_code or ""), "负责人": c.owner_name,
            "受理时间": format_local(c.opened_at), "期限": format_local(c.deadline_at),
            "期限暂定": "是" if c.deadline_provisional else "", "首次答复": format_local(c.first_response_at),
            "反馈时间": format_local(c.result_at), "反馈送达": DELIVERY_ZH.get(c.result_delivery or "", ""),
            "评价": c.rating or "", "紧急": "是" if c.urgent else "",
        })
    return out


CASE_GROUPABLE = ("township_code", "community_code", "category", "channel", "type", "rating")


async def case_counts(*, since: datetime, until: datetime, by: tuple[str, ...],
                      time_field: str = "opened_at") -> list[dict[str, Any]]:
    """Cases whose ``time_field`` (opened_at, or rated: result_at) falls in [since, until), grouped by
    ``by`` (of CASE_GROUPABLE; () for the total) by the database, for the analytics rollup: ``cases`` and ``residents``
    (distinct residents; a case without a known resident counts as one of its own). Missing codes: ""."""

    if any(f not in CASE_GROUPABLE for f in by) or time_field not in ("opened_at", "result_at"):
        raise ValueError(f"group by some of {CASE_GROUPABLE}, got {by!r} / {time_field!r}")
    qs = (Case.filter(**{f"{time_field}__gte": since, f"{time_field}__lt": until})
          .annotate(n=Count("id"), distinct_residents=Count("resident_id", distinct=True),
                    unknown=Count("id", _filter=Q(resident_id__isnull=True))))
    rows = await (qs.group_by(*by) if by else qs).values(*by, "n", "distinct_residents", "unknown")
    return [{**{f: (r[f] or "") for f in by}, "cases": int(r["n"]),
             "residents": int(r["distinct_residents"] or 0) + int(r["unknown"] or 0)} for r in rows if r["n"]]


async def case_summaries(*, since: datetime, until: datetime, category: str | None = None,
                         township_code: str | None = None, community_code: str | None = None,
                         limit: int = 20) -> list[dict[str, Any]]:
    """The cases behind a figure (the evidence of an early warning), newest first: number, channel,
    place and the stored summary (personal numbers masked; the original stays encrypted). Cases labelled
    above 内部 (安全标记) never serve as evidence: a warning is read by staff of any clearance."""
    qs = Case.filter(opened_at__gte=since, opened_at__lt=until, security_level__lte=INTERNAL)
    if category:
        qs = qs.filter(category=category)
    if township_code:
        qs = qs.filter(township_code=township_code)
    if community_code:
        qs = qs.filter(community_code=community_code)
    rows = await qs.order_by("-opened_at", "-id").limit(limit).values(
        "number", "summary", "channel", "township_code", "community_code", "opened_at")
    return [{"ref": r["number"], "question": r["summary"], "channel": r["channel"],
             "township_code": r["township_code"] or "", "community_code": r["community_code"] or "",
             "created_at": r["opened_at"]} for r in rows]
