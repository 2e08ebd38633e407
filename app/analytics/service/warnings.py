"""Early warnings (矛盾排查预警): the daily check of the surge rule (surge.py) on every topic of every
township and community, and a warning's life like a case's: open → acknowledged → assigned → closed
with what was done. Evidence: the matters behind the figure, personal numbers masked."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.analytics.models import EarlyWarning, RollupCell
from app.analytics.service import periods
from app.analytics.service.cluster import Cluster, find_clusters
from app.analytics.service.errors import NoteRequired, WarningNotFound, WarningStateError
from app.analytics.service.surge import Rule, judge, season_factor
from app.cases import service as cases_service
from app.config import get_settings
from app.consult import service as consult_service
from app.core import pii_text
from app.core.actor import INTERNAL, Actor
from app.core.clock import format_local, to_local, utcnow
from app.core.scope import OrgScope
from app.errors import NotFound
from app.org import service as org_service
from app.staff import service as staff_service

log = logging.getLogger("fawu.analytics")

STATUS_ZH = {"open": "待确认", "acknowledged": "已确认", "assigned": "已指派", "closed": "已办结"}
SOURCE_ZH = {"consult": "咨询", "cases": "案件"}
KIND_ZH = {"surge": "突增", "cluster": "聚集"}
# the topics where many residents naming one employer, site or building is a warning sign
CLUSTER_CATEGORIES = ("labor", "tort_neighbour", "property_land", "consumer", "debt_contract")
CLUSTER_READ_LIMIT = 20000  # questions read per category and check (a district's month is far below)
LEVELS = (("township", ("township_code", "category"), "category"),
          ("community", ("township_code", "community_code", "category"), "community_category"))
EVIDENCE_LIMIT = 10


def baseline_weeks() -> int:
    return get_settings().analytics_baseline_weeks


async def unit_names() -> dict[str, str]:
    return {code: u.name for code, u in (await org_service.tree()).items()}


def rule() -> Rule:
    s = get_settings()
    return Rule(alpha=s.analytics_alert_alpha, min_residents=s.analytics_alert_min_residents,
                min_ratio=s.analytics_alert_min_ratio)


@dataclass(frozen=True)
class Found:
    source: str
    township_code: str
    community_code: str
    category: str
    observed: int
    baseline: list[int]
    expected: float
    p_value: float
    season: float


async def _window(source: str, by: tuple[str, ...], since: datetime, until: datetime) -> list[dict[str, Any]]:
    if source == "consult":
        return await consult_service.topic_counts(since=since, until=until, by=by)
    return await cases_service.case_counts(since=since, until=until, by=by)


async def find_surges(*, now: datetime | None = None) -> list[Found]:
    """Every topic and place whose last 7 days are a surge against its previous weeks (from the rollup)."""
    now = now or utcnow()
    since = now - timedelta(days=7)
    weeks = get_settings().analytics_baseline_weeks
    first = periods.start_of("week", to_local(since).date())
    base_starts = [first - timedelta(weeks=i) for i in range(weeks, 0, -1)]
    r = rule()
    found: list[Found] = []
    for source in ("consult", "cases"):
        for _level, by, grain in LEVELS:
            window = [w for w in await _window(source, by, since, now) if w["township_code"] and w["category"]]
            if not window:
                continue
            cells = await RollupCell.filter(source=source, period="week", grain=grain,
                                            period_start__in=base_starts).values(
                "period_start", "township_code", "community_code", "dim", "residents")
            base: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * weeks)
            for c in cells:
                i = base_starts.index(c["period_start"])
                base[(c["township_code"], c["community_code"] if "community_code" in by else "", c["dim"])][i] += \
                    c["residents"]
            now_of = {(w["township_code"], w.get("community_code", ""), w["category"]): int(w["residents"])
                      for w in window}
            places: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
            for key in [*base, *now_of]:
                places[key[2]].add(key)
            for key, observed in now_of.items():
                if observed < r.min_residents:
                    continue
                others = [(now_of.get(o, 0), base[o]) for o in places[key[2]] if o != key]
                mine = base[key]
                v = judge(observed, mine, rule=r, season=season_factor(others))
                if v.fires:
                    found.append(Found(source, key[0], key[1], key[2], observed, list(mine), v.expected,
                                       v.p_value, v.season))
    return found


async def _evidence(f: Found, since: datetime, until: datetime) -> list[dict[str, Any]]:
    args: dict[str, Any] = {"since": since, "until": until, "category": f.category, "township_code": f.township_code,
                            "community_code": f.community_code or None, "limit": EVIDENCE_LIMIT}
    rows = await (consult_service.questions_for(**args) if f.source == "consult"
                  else cases_service.case_summaries(**args))
    # 安全标记: the words of a resident whose case is labelled above 内部 are no evidence (a warning is read
    # by staff of any clearance); case_summaries leaves such cases out itself
    hidden = await cases_service.protected_residents(resident_ids=[r.get("resident_id") for r in rows], above=INTERNAL)
    rows = [r for r in rows if r.get("resident_id") not in hidden]
    units = await org_service.tree()
    return [{"at": format_local(r["created_at"]), "channel": r["channel"], "ref": r.get("ref", ""),
             "place": units[r["community_code"]].name if r["community_code"] in units else "",
             # stored masked already; masked again so nothing typed later in another form slips through
             "text": pii_text.mask_text(str(r["question"] or ""))[:120]} for r in rows]


async def check(*, now: datetime | None = None) -> list[EarlyWarning]:
    """The daily check: a warning per surge or cluster and week (found again the same week: updated)."""
    now = now or utcnow()
    week = periods.start_of("week", to_local(now).date())
    weeks = get_settings().analytics_baseline_weeks
    out: list[EarlyWarning] = []
    for f in await find_surges(now=now):
        evidence = await _evidence(f, now - timedelta(days=7), now)
        key: dict[str, Any] = {"kind": "surge", "source": f.source, "township_code": f.township_code,
                               "community_code": f.community_code, "category": f.category, "week_start": week}
        figures: dict[str, Any] = {"observed": f.observed, "expected": f.expected, "baseline": sum(f.baseline),
                                   "p_value": f.p_value, "evidence": evidence,
                                   "rule": rule().describe(weeks) + f"；季节校正系数 {f.season:g}"}
        out.append(await _upsert(key, figures, now, note=f"近7天 {f.observed} 人，预期约 {f.expected:g} 人"))
    units = await org_service.tree()
    for c in await find_cluster_warnings(now=now):
        key = {"kind": "cluster", "source": "consult", "township_code": c.township_code, "community_code": "",
               "category": c.category, "subject": c.subject[:64], "week_start": week}
        evidence = [{"at": format_local(r["created_at"]), "channel": r["channel"], "ref": "",
                     "place": units[r["community_code"]].name if r["community_code"] in units else "",
                     "text": pii_text.mask_text(str(r["question"] or ""))[:120]} for r in c.rows[:EVIDENCE_LIMIT]]
        figures = {"observed": len(c.clients), "expected": 0.0, "baseline": 0, "p_value": 1.0, "evidence": evidence,
                   "rule": cluster_rule()}
        out.append(await _upsert(key, figures, now, note=f"{len(c.clients)} 名居民提到“{c.label}”"))
    if out:
        log.info("analytics: %d early warnings", len(out))
    return out


async def _upsert(key: dict[str, Any], figures: dict[str, Any], now: datetime, *, note: str) -> EarlyWarning:
    """One warning per kind, source, place, topic, subject and week: found again, its figures grow
    (unless it was closed: not reopened the same week)."""
    async with in_transaction():
        w = await EarlyWarning.filter(**key).select_for_update().first()
        if w is None:
            return await EarlyWarning.create(**key, **figures, created_at=now, updated_at=now, history=[
                {"at": format_local(now), "actor": "系统", "action": "open", "note": note}])
        if w.status != "closed" and figures["observed"] > w.observed:
            for k, v in figures.items():
                setattr(w, k, v)
            w.updated_at = now
            await w.save()
    return w


def cluster_rule() -> str:
    s = get_settings()
    return (f"{s.analytics_cluster_days}天内同一镇街有不少于{s.analytics_cluster_min_residents}名居民"
            "在咨询中提到同一单位、工地或楼栋")


async def find_cluster_warnings(*, now: datetime | None = None) -> list[Cluster]:
    """Residents naming the same employer, site or building in one township within the last days."""
    now = now or utcnow()
    s = get_settings()
    since = now - timedelta(days=s.analytics_cluster_days)
    rows: list[dict[str, Any]] = []
    for cat in CLUSTER_CATEGORIES:
        rows += await consult_service.questions_for(since=since, until=now, category=cat, limit=CLUSTER_READ_LIMIT)
    hidden = await cases_service.protected_residents(resident_ids=[r.get("resident_id") for r in rows], above=INTERNAL)
    rows = [r for r in rows if r.get("resident_id") not in hidden]  # 安全标记, as in _evidence
    # pattern matching over many texts: in a worker thread, off the event loop
    return await asyncio.to_thread(find_clusters, rows, min_residents=s.analytics_cluster_min_residents)


def _scoped(scope: OrgScope) -> Any:
    return scope.apply(EarlyWarning.all(), "township_code", "community_code")


async def list_warnings(*, scope: OrgScope, status: str = "") -> list[EarlyWarning]:
    qs = _scoped(scope)
    if status == "active":
        qs = qs.exclude(status="closed")
    elif status in STATUS_ZH:
        qs = qs.filter(status=status)
    return list(await qs.order_by("-week_start", "-observed", "-id").limit(500))


async def count_active(*, scope: OrgScope) -> int:
    return int(await _scoped(scope).exclude(status="closed").count())


async def get_warning(*, scope: OrgScope, warning_id: int) -> EarlyWarning:
    w = await EarlyWarning.get_or_none(id=warning_id)
    if w is None:
        raise WarningNotFound()
    try:
        scope.check(w, "township_code", "community_code")
    except NotFound as exc:  # the scope's "not found", said in this domain's words
        raise WarningNotFound() from exc
    return w


async def _step(actor: Actor, warning_id: int, action: str, *, allowed: tuple[str, ...], status: str,
                note: str = "", **changes: Any) -> EarlyWarning:
    async with in_transaction():
        w = await get_warning(scope=actor.scope, warning_id=warning_id)
        w = await EarlyWarning.filter(id=w.id).select_for_update().get()
        if w.status not in allowed:
            raise WarningStateError()
        now = utcnow()
        w.status, w.updated_at = status, now
        for k, v in changes.items():
            setattr(w, k, v)
        w.history = [*w.history, {"at": format_local(now), "actor": actor.name, "action": action, "note": note}]
        await w.save()
    await staff_service.audit(actor=actor, action=f"analytics.warning.{action}", target_type="early_warning",
                              target_id=w.id, detail={"status": status})
    return w


async def acknowledge(*, actor: Actor, warning_id: int) -> EarlyWarning:
    return await _step(actor, warning_id, "acknowledge", allowed=("open",), status="acknowledged")


async def assign(*, actor: Actor, warning_id: int, staff_id: int) -> EarlyWarning:
    """Give the follow-up to a staff member who can see the warning's place."""
    w = await get_warning(scope=actor.scope, warning_id=warning_id)
    user = await staff_service.get_staff(staff_id)
    assignee = await staff_service.actor_for(user)
    if not user.active or not assignee.scope.allows_any(w.township_code, w.community_code or None):
        raise WarningStateError("只能指派给负责该地区的在岗工作人员。")
    return await _step(actor, warning_id, "assign", allowed=("open", "acknowledged", "assigned"), status="assigned",
                       note=user.name, assignee_id=user.id, assignee_name=user.name)


async def close(*, actor: Actor, warning_id: int, outcome: str) -> EarlyWarning:
    """Close with what was done (排查、调解、约谈、转办 …): required."""
    outcome = outcome.strip()
    if not outcome:
        raise NoteRequired()
    return await _step(actor, warning_id, "close", allowed=("open", "acknowledged", "assigned"), status="closed",
                       note=outcome[:500], outcome=outcome[:2000])


async def assignable_staff(*, actor: Actor, warning: EarlyWarning) -> list[tuple[int, str]]:
    out = []
    for u in await staff_service.list_staff(actor=actor):
        scope = (await staff_service.actor_for(u)).scope
        if scope.allows_any(warning.township_code, warning.community_code or None):
            out.append((u.id, u.name))
    return out
