"""Honest figures (满意率 with its denominator): one definition, counted from the rows, by any grouping.

satisfaction rate = responses rated 非常满意/满意/基本满意 ÷ responses counted (an upheld 申诉复核 takes
a review out; one under appeal stays counted); response rate = responses ÷ invitations that reached
the resident (sent). The district's row is the sum of its townships' rows, exactly (integers summed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from app.catalog import service as catalog_service
from app.core.actor import Actor
from app.core.clock import to_local
from app.org import service as org_service
from app.surveys import rectification
from app.surveys.definitions import BAD, LEVELS, SATISFIED
from app.surveys.models import SurveyInvitation, SurveyResponse

GROUPS = {"district": "全区", "township": "镇街", "community": "村居", "service": "服务类型", "provider": "经办人",
          "channel": "渠道", "month": "月份"}
SERVICE_ZH = {"consultation": "法律咨询", "legal_aid": "法律援助", "mediation": "人民调解", "notarization": "公证",
              "complaint": "投诉", "bad_review": "差评整改", "other": "其他", "appointment": "预约服务"}
CHANNEL_ZH = {"wechat": "公众号", "miniprogram": "小程序", "walk_in": "窗口", "hotline": "热线", "web": "网络"}
COLUMNS = ["分组", "邀请送达", "评价数", "参评率", "计入满意度", "满意（前三级）", "满意率", "差评", "差评未整改", "差评超期",
           "差评已整改", "申诉复核中", "差评已回访"]


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None


def shown(part: int, whole: int) -> str:
    """A rate always shown with its denominator: "92.3%（12/13）", or "暂无（0/0）"."""
    r = rate(part, whole)
    return f"{r:.1f}%（{part}/{whole}）" if r is not None else f"暂无（{part}/{whole}）"


@dataclass
class Row:
    key: str
    label: str
    invited: int = 0
    responded: int = 0
    counted: int = 0
    satisfied: int = 0
    bad: int = 0
    bad_open: int = 0
    bad_overdue: int = 0
    bad_done: int = 0
    appealing: int = 0
    called_back: int = 0  # bad reviews with a recorded call-back (回访; local rules want 100%)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def satisfaction(self) -> float | None:
        return rate(self.satisfied, self.counted)

    @property
    def response_rate(self) -> float | None:
        return rate(self.responded, self.invited)

    def csv(self) -> list[str]:
        return [self.label, str(self.invited), str(self.responded), shown(self.responded, self.invited),
                str(self.counted), str(self.satisfied), shown(self.satisfied, self.counted), str(self.bad),
                str(self.bad_open), str(self.bad_overdue), str(self.bad_done), str(self.appealing),
                shown(self.called_back, self.bad)]

    def add(self, other: Row) -> None:
        for name in ("invited", "responded", "counted", "satisfied", "bad", "bad_open", "bad_overdue", "bad_done",
                     "appealing", "called_back"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _scoped_invitations(actor: Actor) -> Any:
    if actor.scope.all_units:
        return SurveyInvitation.all()
    units = list(actor.scope.unit_codes)
    return SurveyInvitation.filter(Q(township_code__in=units) | Q(community_code__in=units))


async def _labels(by: str, keys: set[str] | None = None) -> dict[str, str]:
    if by in ("township", "community", "district"):
        return {code: info.name for code, info in (await org_service.tree()).items()}
    if by == "service":  # the service catalogue's names: a case type, else a booked service's code
        labels = dict(SERVICE_ZH)
        codes = set(SERVICE_ZH) | (keys or set())
        entries = await catalog_service.services_for_refs([*codes, *(f"booking:{k}" for k in codes)])
        for k in codes:
            entry = entries.get(k) or entries.get(f"booking:{k}")
            if entry is not None:
                labels[k] = entry.name
        return labels
    if by == "channel":
        return dict(CHANNEL_ZH)
    return {}


def _key(inv: SurveyInvitation, by: str) -> str:
    if by == "district":
        return "all"
    if by == "month":
        return to_local(inv.created_at).strftime("%Y-%m")
    value = {"township": inv.township_code, "community": inv.community_code, "service": inv.service,
             "provider": inv.provider, "channel": inv.channel}[by]
    return value or ""


async def compute(*, actor: Actor, by: str = "township", since: datetime | None = None,
                  until: datetime | None = None) -> tuple[list[Row], Row]:
    """Rows grouped ``by`` (GROUPS) and their total, within the actor's units and the period (by the
    invitation's date)."""
    if by not in GROUPS:
        by = "township"
    qs = _scoped_invitations(actor)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    invitations = {inv.id: inv for inv in await qs}
    responses = await SurveyResponse.filter(invitation_id__in=list(invitations)) if invitations else []
    overdue_ids: set[int] = set()
    bad_unanswered = [r for r in responses if r.level in BAD and r.counted and r.answered_at is None]
    for r in bad_unanswered:
        review = await rectification.get(actor=actor, response_id=r.id)
        if review.overdue:
            overdue_ids.add(r.id)
    labels = await _labels(by, {inv.service for inv in invitations.values()} if by == "service" else None)
    rows: dict[str, Row] = {}

    def row(key: str) -> Row:
        if key not in rows:
            label = "全区" if key == "all" else (labels.get(key, key) if key else "未定")
            rows[key] = Row(key, label)
        return rows[key]

    for inv in invitations.values():
        if inv.status == "sent":
            row(_key(inv, by)).invited += 1
    for r in responses:
        target = row(_key(invitations[r.invitation_id], by))
        target.responded += 1
        if r.appeal == "requested":
            target.appealing += 1
        if not r.counted:
            continue
        target.counted += 1
        if r.level in SATISFIED:
            target.satisfied += 1
        else:
            target.bad += 1
            if r.callback_at is not None:
                target.called_back += 1
            if r.answered_at is not None:
                target.bad_done += 1
            else:
                target.bad_open += 1
                if r.id in overdue_ids:
                    target.bad_overdue += 1
    ordered = sorted(rows.values(), key=lambda x: (x.key == "", x.key))
    total = Row("total", "合计")
    for x in ordered:
        total.add(x)
    return ordered, total


async def tile(*, actor: Actor) -> dict[str, Any]:
    """The dashboard's satisfaction tile: the rate with its denominator, and the bars by township."""
    rows, total = await compute(actor=actor, by="township")
    return {"rate": total.satisfaction, "shown": shown(total.satisfied, total.counted),
            "response": shown(total.responded, total.invited), "bad_open": total.bad_open,
            "bad_overdue": total.bad_overdue,
            "bars": [(f"{r.label}（{r.satisfied}/{r.counted}）", float(r.satisfaction)) for r in rows
                     if r.satisfaction is not None]}


def csv_rows(rows: list[Row], total: Row) -> list[list[str]]:
    return [COLUMNS] + [r.csv() for r in rows] + [total.csv()]


# --- figures for the district's analytics (the ``analytics.figures_requested`` hook) --------------------

FIRST_CHOICE_YES = "会"  # the first-choice question's answer meaning "public legal service first"


async def for_analytics(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Rows for the analytics rollup (docs/analytics.md): 首选率 from the first-choice question and the
    ratings of matters without a case (a case's rating is read from cases: not answered twice). No
    知晓率: everyone answering a satisfaction survey has used the service, so their awareness says
    nothing of the district's (that needs a population survey)."""
    cells: dict[tuple[str, str, str, str, str], tuple[int, set[str]]] = {}

    def add(source: str, grain: str, r: SurveyResponse, dim: str, who: str) -> None:
        key = (source, grain, r.township_code or "", r.community_code or "", dim)
        count, residents = cells.get(key, (0, set()))
        residents.add(who)
        cells[key] = (count + 1, residents)

    rows = await SurveyResponse.filter(first_at__gte=since, first_at__lt=until).select_related("invitation")
    for r in rows:
        inv = r.invitation
        who = f"r{inv.resident_id}" if inv.resident_id else f"o{inv.openid or inv.id}"
        picked = (r.answers or {}).get("first_choice")
        if picked:
            add("survey_first_choice", "township", r, "yes" if picked == FIRST_CHOICE_YES else "no", who)
        if inv.service_type != "case" and r.level in LEVELS:
            add("survey_ratings", "rating", r, LEVELS[r.level], who)
    return [{"source": s, "grain": g, "township_code": t, "community_code": c, "dim": d, "count": n,
             "residents": len(who)} for (s, g, t, c, d), (n, who) in cells.items()]
