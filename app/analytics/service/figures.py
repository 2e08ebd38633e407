"""Topic statistics from the rollup, scoped to the actor's units, with small-cell suppression.

Suppression (docs/analytics.md): a figure is shown only when it rests on at least
``analytics_min_residents`` residents. Smaller cells are pooled into one "其他（合并）" line; when that
pool is itself below the threshold, the next smallest shown cells join it until it is not (or nothing
is left, and the whole table says 样本不足). Totals are then the sum of shown cells and the pool, so no
hidden cell can be worked out by subtraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.analytics.models import RollupCell
from app.analytics.service import periods
from app.analytics.service.errors import BadFilter, PlaceNotFound
from app.booking import service as booking_service
from app.cases import service as cases_service
from app.config import get_settings
from app.consult import service as consult_service
from app.core.clock import local_today
from app.core.scope import OrgScope
from app.org import service as org_service

POOLED_ZH = "其他（不足人数合并）"
SOURCES_ZH = {"consult": "咨询（公众号、公示牌网页、小程序）", "cases": "案件（窗口、热线、网络）",
              "bookings": "预约（公众号、扫码页面、小程序、窗口）"}
DIMS_ZH = {"category": "事项分类", "channel": "渠道", "type": "案件类型"}
CHANNEL_ZH = {"wechat": "公众号", "web": "公示牌网页", "miniprogram": "小程序", "walk_in": "窗口",
              "hotline": "热线", "cli": "测试"}


def min_residents() -> int:
    return get_settings().analytics_min_residents


@dataclass
class Figure:
    key: str
    label: str
    count: int
    residents: int
    prev: int | None = None  # the previous period's count, when it too rests on enough residents
    last_year: int | None = None
    pooled: bool = False

    @property
    def change_prev(self) -> float | None:
        return _change(self.count, self.prev)

    @property
    def change_year(self) -> float | None:
        return _change(self.count, self.last_year)


def _change(now: int, before: int | None) -> float | None:
    if before is None or before == 0:
        return None
    return round(100.0 * (now - before) / before, 1)


@dataclass
class Table:
    title: str
    rows: list[Figure] = field(default_factory=list)
    pooled: Figure | None = None
    suppressed_all: bool = False  # every cell below the threshold: nothing shown
    hidden_cells: int = 0

    @property
    def total(self) -> int | None:
        if self.suppressed_all:
            return None
        return sum(r.count for r in self.rows) + (self.pooled.count if self.pooled else 0)

    def chart_items(self) -> list[tuple[str, float]]:
        return [(r.label, float(r.count)) for r in self.rows] + (
            [(self.pooled.label, float(self.pooled.count))] if self.pooled else [])


def suppress(figures: list[Figure], k: int, *, title: str = "") -> Table:
    """Pool every figure below ``k`` residents (and more, until the pool itself reaches ``k``)."""
    shown = sorted(figures, key=lambda f: (-f.count, f.key))
    pool = [f for f in shown if f.residents < k]
    shown = [f for f in shown if f.residents >= k]
    while pool and sum(f.residents for f in pool) < k and shown:
        pool.append(shown.pop())  # the smallest shown figure joins the pool
    table = Table(title=title, rows=shown, hidden_cells=len(pool))
    if pool:
        if sum(f.residents for f in pool) < k:
            if not shown:
                table.suppressed_all, table.rows = True, []
            # a pool below k with nothing left to add cannot be shown (only reachable when nothing is shown)
        else:
            table.pooled = Figure(key="", label=POOLED_ZH, count=sum(f.count for f in pool),
                                  residents=sum(f.residents for f in pool), pooled=True)
    return table


async def booking_labels() -> dict[str, dict[str, str]]:
    """Booking's dims: the service (as category) and its channels."""
    names = {s.code: s.name for s in await booking_service.services(active_only=False)}
    return {"category": names, "channel": dict(booking_service.CHANNEL_ZH)}


def dim_labels(source: str, dim: str) -> dict[str, str]:
    if dim == "category":
        return consult_service.category_labels()
    if dim == "type":
        return cases_service.type_labels()
    if dim == "channel":
        return dict(CHANNEL_ZH)
    return {}


@dataclass
class Place:
    code: str  # "" = the district
    name: str
    level: str  # district, township, community


async def places_for(scope: OrgScope) -> list[Place]:
    """The places the actor may pick: the district and its townships, or their own townships and communities."""
    tree = await org_service.tree()
    out: list[Place] = []
    if scope.all_units:
        out.append(Place("", "全区", "district"))
    for code, u in sorted(tree.items()):
        if u.kind == "township" and scope.allows(code):
            out.append(Place(code, u.name, "township"))
    for code, u in sorted(tree.items()):
        if u.kind in ("community", "village") and scope.allows(code) and not scope.all_units:
            out.append(Place(code, u.name, "community"))
    return out


async def resolve_place(scope: OrgScope, code: str | None) -> Place:
    """The place asked for, within scope (another township's code is 'not found', never its figures)."""
    options = await places_for(scope)
    if not options:
        raise PlaceNotFound()
    if not code:
        return options[0]
    for p in options:
        if p.code == code:
            return p
    raise PlaceNotFound()


def _grain(place: Place, dim: str) -> tuple[str, dict[str, Any]]:
    if place.level == "district":
        return f"district_{dim}", {"township_code": ""}
    if place.level == "township":
        return dim, {"township_code": place.code}
    return f"community_{dim}", {"community_code": place.code}


async def _cells(scope: OrgScope, *, source: str, period: str, starts: list[date], grain: str,
                 where: dict[str, Any]) -> list[RollupCell]:
    qs = RollupCell.filter(source=source, period=period, period_start__in=starts, grain=grain, **where)
    return list(await scope.apply(qs, "township_code", "community_code"))


async def by_dimension(scope: OrgScope, *, source: str, period: str, start: date, place: Place,
                       dim: str) -> Table:
    """One place's figures of one period by category / channel / type, with last period and last year."""
    if dim not in DIMS_ZH or (dim == "type" and source != "cases"):
        raise BadFilter()
    if place.level == "community" and dim != "category":
        raise BadFilter("社区/村一级只按事项分类统计，请改选维度或地区。")
    grain, where = _grain(place, dim)
    prev, year = periods.previous_start(period, start), periods.year_before(period, start)
    cells = await _cells(scope, source=source, period=period, starts=[start, prev, year], grain=grain, where=where)
    k = min_residents()
    labels = (await booking_labels()).get(dim, {}) if source == "bookings" else dim_labels(source, dim)
    now: dict[str, RollupCell] = {c.dim: c for c in cells if c.period_start == start}
    before = {c.dim: c for c in cells if c.period_start == prev}
    last = {c.dim: c for c in cells if c.period_start == year}

    def shown(c: RollupCell | None) -> int | None:
        return c.count if c is not None and c.residents >= k else None

    figures = [Figure(key=d, label=labels.get(d, d or "未分类"), count=c.count, residents=c.residents,
                      prev=shown(before.get(d)), last_year=shown(last.get(d))) for d, c in now.items()]
    return suppress(figures, k, title=f"{place.name} · 按{DIMS_ZH[dim]}")


async def by_place(scope: OrgScope, *, source: str, period: str, start: date, place: Place) -> Table | None:
    """The place's parts (townships of the district, communities of a township) for one period."""
    if place.level == "community":
        return None
    tree = await org_service.tree()
    if place.level == "district":
        grain, where, key = "total", {}, "township_code"
    else:
        grain, where, key = "community_total", {"township_code": place.code}, "community_code"
    prev, year = periods.previous_start(period, start), periods.year_before(period, start)
    cells = await _cells(scope, source=source, period=period, starts=[start, prev, year], grain=grain, where=where)
    k = min_residents()

    def pick(s: date) -> dict[str, RollupCell]:
        return {getattr(c, key): c for c in cells if c.period_start == s}

    now, before, last = pick(start), pick(prev), pick(year)

    def shown(c: RollupCell | None) -> int | None:
        return c.count if c is not None and c.residents >= k else None

    figures = [Figure(key=code, label=(tree[code].name if code in tree else "未定地区"), count=c.count,
                      residents=c.residents, prev=shown(before.get(code)), last_year=shown(last.get(code)))
               for code, c in now.items()]
    return suppress(figures, k, title=f"{place.name} · 按{'镇街' if place.level == 'district' else '社区/村'}")


async def trend(scope: OrgScope, *, source: str, period: str, place: Place, n: int = 12,
                today: date | None = None) -> list[tuple[str, int | None]]:
    """The place's totals over the last ``n`` periods (None where fewer than the threshold's residents)."""
    starts = periods.recent(period, today or local_today(), n)
    grain, where = _grain(place, "total")
    cells = {c.period_start: c for c in await _cells(scope, source=source, period=period, starts=starts,
                                                      grain=grain, where=where)}
    k = min_residents()
    out: list[tuple[str, int | None]] = []
    for s in starts:
        c = cells.get(s)
        out.append((periods.label(period, s), (c.count if c.residents >= k else None) if c else 0))
    return out


async def scans_of(scope: OrgScope, *, period: str, start: date, place: Place) -> tuple[int, int] | None:
    """Board scans of the place in the period (scans, unique visitors); None below the threshold."""
    if place.level == "district":
        grain, where = "total", {}
    elif place.level == "township":
        grain, where = "total", {"township_code": place.code}
    else:
        grain, where = "community_total", {"community_code": place.code}
    cells = await _cells(scope, source="scans", period=period, starts=[start], grain=grain, where=where)
    scans, unique = sum(c.count for c in cells), sum(c.residents for c in cells)
    return (scans, unique) if unique >= min_residents() else None


@dataclass
class UseLine:
    """Booking utilisation and no-shows of one place in one period (from booking's hook rows)."""

    code: str
    name: str
    places: int
    booked: int
    attended: int
    no_show: int

    @property
    def utilisation(self) -> float | None:
        return round(100.0 * self.booked / self.places, 1) if self.places else None

    @property
    def due(self) -> int:
        return self.attended + self.no_show

    @property
    def no_show_rate(self) -> float | None:
        return round(100.0 * self.no_show / self.due, 1) if self.due else None


async def booking_use(scope: OrgScope, *, period: str, start: date) -> list[UseLine]:
    """Utilisation (booked of places offered) and the no-show rate per township in scope, the district first
    (district staff only), for one period: from the ``booking_use`` rows booking answers the hook with."""
    tree = await org_service.tree()
    qs = RollupCell.filter(source="booking_use", period=period, period_start=start)
    cells = list(await qs)
    by: dict[str, dict[str, int]] = {}
    for c in cells:
        key = "*" if c.grain == "district" else c.township_code
        if key != "*" and not scope.allows(key):
            continue
        if key == "*" and not scope.all_units:
            continue
        by.setdefault(key, {})[c.dim] = c.count
    out: list[UseLine] = []
    for key in sorted(by, key=lambda k: (k != "*", k)):
        d = by[key]
        name = "全区" if key == "*" else (tree[key].name if key in tree else "区中心（未归属镇街）")
        out.append(UseLine(key, name, d.get("places", 0), d.get("booked", 0), d.get("attended", 0),
                           d.get("no_show", 0)))
    return out


async def topic_stats(*, scope: OrgScope, source: str = "consult", period: str = "week", start: date | None = None,
                      place_code: str | None = None, dim: str = "category") -> dict[str, Any]:
    """Everything the statistics page shows, for the actor's scope."""
    if source not in SOURCES_ZH or period not in periods.PERIODS:
        raise BadFilter()
    place = await resolve_place(scope, place_code)
    start = periods.start_of(period, start or local_today())
    return {
        "place": place, "places": await places_for(scope), "source": source, "period": period, "start": start,
        "dim": dim, "period_label": periods.label(period, start), "min_residents": min_residents(),
        "by_dim": await by_dimension(scope, source=source, period=period, start=start, place=place, dim=dim),
        "by_place": await by_place(scope, source=source, period=period, start=start, place=place),
        "trend": await trend(scope, source=source, period=period, place=place, today=start),
        "scans": await scans_of(scope, period=period, start=start, place=place),
        "booking_use": await booking_use(scope, period=period, start=start) if source == "bookings" else None,
    }


async def export_rows(*, scope: OrgScope, source: str = "consult", period: str = "week", n: int = 12,
                      dim: str = "category", today: date | None = None) -> list[dict[str, Any]]:
    """The CSV: per period and place in scope (district first, then townships), the suppressed figures by
    ``dim``. Pooled cells appear as one line; a table below the threshold as one 样本不足 line."""
    out: list[dict[str, Any]] = []
    places = [p for p in await places_for(scope) if p.level != "community" or (not scope.all_units and dim == "category")]
    for s in periods.recent(period, today or local_today(), n):
        for place in places:
            table = await by_dimension(scope, source=source, period=period, start=s, place=place, dim=dim)
            base = {"周期": periods.label(period, s), "地区": place.name, "来源": SOURCES_ZH[source]}
            if table.suppressed_all:
                out.append({**base, DIMS_ZH[dim]: "（样本不足，不予显示）", "数量": "", "人数": "",
                            "上期": "", "去年同期": ""})
                continue
            for f in table.rows + ([table.pooled] if table.pooled else []):
                out.append({**base, DIMS_ZH[dim]: f.label, "数量": f.count, "人数": f.residents,
                            "上期": "" if f.prev is None else f.prev,
                            "去年同期": "" if f.last_year is None else f.last_year})
    return out
