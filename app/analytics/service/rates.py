"""The three rates the district is assessed on (知晓率、首选率、满意率) and the coverage the plans count,
per township, ranked, with the month-on-month change. Each rate's definition and denominator is stated
once here (RATES) and shown on the page beside the figure.

知晓率 and 首选率 come from the survey's awareness questions, which the surveys domain answers through the
``analytics.figures_requested`` hook (docs/analytics.md); until it does, they read 暂无数据 — never a
guess. 满意率 counts the ratings on cases (好差评, one per matter) plus ratings the surveys domain
answers for matters without a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.analytics.models import RollupCell
from app.analytics.service import periods
from app.analytics.service.figures import min_residents
from app.core.clock import local_today
from app.core.scope import OrgScope
from app.org import service as org_service

# The five levels of 好差评 (国办发〔2019〕51号): the first three count as satisfied. Codes or labels.
SATISFIED = frozenset({"非常满意", "满意", "基本满意", "very_satisfied", "satisfied", "basically_satisfied"})
UNSATISFIED = frozenset({"不满意", "非常不满意", "dissatisfied", "very_dissatisfied"})


@dataclass(frozen=True)
class RateDef:
    key: str
    name: str
    definition: str
    numerator: str
    denominator: str
    sources: tuple[str, ...]
    yes: frozenset[str]
    counted: frozenset[str] | None  # answers that enter the denominator; None: every answer


RATES: tuple[RateDef, ...] = (
    RateDef("awareness", "知晓率", "知道公共法律服务（12348热线、公共法律服务中心/工作站/工作室、网上平台任一）的受访居民所占比例",
            "回答“知道”的受访居民数", "本月回答了知晓问题的受访居民数（未回答者不计入）",
            ("survey_awareness",), frozenset({"aware", "yes"}), None),
    RateDef("first_choice", "首选率", "遇到法律问题时首先选择公共法律服务（而非其他途径）的受访居民所占比例",
            "回答首先找公共法律服务的受访居民数", "本月回答了首选问题的受访居民数（未回答者不计入）",
            ("survey_first_choice",), frozenset({"yes", "public_legal_service"}), None),
    RateDef("satisfaction", "满意率", "好差评中“非常满意、满意、基本满意”所占比例（一事一评）",
            "评价为非常满意、满意或基本满意的件数", "本月给出评价的件数（未评价的不计入，也不默认为满意）",
            ("ratings", "survey_ratings"), SATISFIED, SATISFIED | UNSATISFIED),
)


@dataclass
class RateRow:
    code: str
    name: str
    yes: int = 0
    total: int = 0
    prev_yes: int = 0
    prev_total: int = 0
    enough: bool = True

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.yes / self.total, 1) if self.total and self.enough else None

    @property
    def prev_rate(self) -> float | None:
        return round(100.0 * self.prev_yes / self.prev_total, 1) if self.prev_total >= min_residents() else None

    @property
    def change(self) -> float | None:
        return round(self.rate - self.prev_rate, 1) if self.rate is not None and self.prev_rate is not None else None


@dataclass
class RateTable:
    rate: RateDef
    district: RateRow | None
    rows: list[RateRow] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(r.total for r in self.rows) or bool(self.district and self.district.total)


async def three_rates(*, scope: OrgScope, month: date | None = None) -> dict[str, Any]:
    month = periods.start_of("month", month or local_today())
    prev = periods.previous_start("month", month)
    tree = await org_service.tree()
    k = min_residents()
    tables: list[RateTable] = []
    for d in RATES:
        qs = scope.apply(RollupCell.filter(source__in=list(d.sources), period="month", period_start__in=[month, prev],
                                           grain__in=["rating", "township"]),
                         "township_code", "community_code")
        rows: dict[str, RateRow] = {}
        district = RateRow("", "全区")  # answers are additive: the district is the sum of its townships
        for c in await qs:
            if d.counted is not None and c.dim not in d.counted:
                continue
            code = c.township_code
            yes = c.count if c.dim in d.yes else 0
            for row in (rows.setdefault(code, RateRow(code, tree[code].name if code in tree else "未定地区")),
                        district):
                if c.period_start == month:
                    row.yes, row.total = row.yes + yes, row.total + c.count
                else:
                    row.prev_yes, row.prev_total = row.prev_yes + yes, row.prev_total + c.count
        for r in [*rows.values(), district]:
            r.enough = r.total >= k  # a rate on fewer answers than the threshold is not shown
        rows.pop("", None)  # answers without a place count for the district only
        ranked = sorted(rows.values(), key=lambda r: (r.rate is None, -(r.rate or 0), r.code))
        tables.append(RateTable(d, district if scope.all_units and (district.total or district.prev_total) else None,
                                ranked))
    return {"month": month, "month_label": periods.label("month", month), "tables": tables, "min_residents": k,
            "coverage": await coverage(scope=scope)}


@dataclass
class CoverageRow:
    code: str
    name: str
    communities: int = 0
    with_advisor: int = 0
    boards: int = 0
    workrooms: int = 0
    station: bool = False

    @property
    def advisor_rate(self) -> float | None:
        return round(100.0 * self.with_advisor / self.communities, 1) if self.communities else None


async def coverage(*, scope: OrgScope) -> list[CoverageRow]:
    """From the org tree: communities with a legal advisor (村居法律顾问), boards, workrooms, the station."""
    tree = await org_service.tree()
    rows = {code: CoverageRow(code, u.name) for code, u in sorted(tree.items())
            if u.kind == "township" and scope.allows(code)}
    boards_by_community: dict[str, int] = {}
    for b in await org_service.list_boards():
        boards_by_community[b.community.code] = boards_by_community.get(b.community.code, 0) + 1
    for code, u in tree.items():
        if u.kind != "community" or u.township_code not in rows:
            continue
        row = rows[u.township_code]
        row.communities += 1
        row.with_advisor += bool(await org_service.advisors_of(code))
        row.boards += boards_by_community.get(code, 0)
        points = await org_service.service_points_for(code)
        row.workrooms += any(p.unit.code == code and p.kind == "workroom" for p in points)
    for code, row in rows.items():
        row.station = any(p.unit.code == code and p.kind == "station" for p in await org_service.service_points_for(code))
    return list(rows.values())
