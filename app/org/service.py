"""Reading the org tree: units, their township, advisors, boards and service points; the OrgScope of a
set of units; adding boards.

The tree is cached per process and re-read when another process changed it (``fawu org import`` while
the server runs): at most every ``CHECK_EVERY`` seconds one cheap query compares the units' count and
latest ``updated_at`` with the cached tree's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from app.core.scope import OrgScope
from app.errors import NotFound
from app.org.models import Advisor, Board, OrgUnit, ServicePoint, UnitKind

# Unit kinds, for callers that filter units (the enum's values).
TOWNSHIP, COMMUNITY, DISTRICT = UnitKind.TOWNSHIP, UnitKind.COMMUNITY, UnitKind.DISTRICT
CHECK_EVERY = 5.0  # seconds between two checks that the cached tree is still the database's


class UnitNotFound(NotFound):
    code = "org_unit_not_found"
    message_zh = "没有找到该单位。"


class BoardNotFound(NotFound):
    code = "board_not_found"
    message_zh = "没有找到该公示牌。"


@dataclass(frozen=True)
class UnitInfo:
    """A unit with the codes of its ancestors (cached: the tree changes only on import)."""

    code: str
    kind: str
    name: str
    parent_code: str | None
    township_code: str | None
    district_code: str | None
    descendants: frozenset[str] = field(default_factory=frozenset)


_tree: dict[str, UnitInfo] | None = None
_stamp: tuple[int, str] | None = None
_checked_at = 0.0


def invalidate_cache() -> None:
    global _tree, _stamp
    _tree, _stamp = None, None


async def _fingerprint() -> tuple[int, str]:
    """The units' count and latest change: differs after any import that added or changed a unit."""
    row = await OrgUnit.annotate(n=Count("id"), last=Max("updated_at")).values("n", "last")
    first = row[0] if row else {"n": 0, "last": None}
    return int(first["n"] or 0), str(first["last"])


async def tree() -> dict[str, UnitInfo]:
    """All units by code, with ancestors and descendants resolved."""
    global _tree, _stamp, _checked_at
    now = time.monotonic()
    if _tree is not None and now - _checked_at < CHECK_EVERY:
        return _tree
    stamp = await _fingerprint()
    _checked_at = now
    if _tree is not None and stamp == _stamp:
        return _tree
    units = await OrgUnit.all().values("id", "code", "kind", "name", "parent_id")
    by_id = {u["id"]: u for u in units}
    children: dict[str, set[str]] = {u["code"]: set() for u in units}
    info_parent: dict[str, str | None] = {}
    for u in units:
        parent = by_id.get(u["parent_id"])
        info_parent[u["code"]] = parent["code"] if parent else None
    for code, parent_code in info_parent.items():
        p = parent_code
        while p is not None:
            children[p].add(code)
            p = info_parent[p]
    kind_of = {u["code"]: str(getattr(u["kind"], "value", u["kind"])) for u in units}
    result: dict[str, UnitInfo] = {}
    for u in units:
        code = u["code"]
        by_kind: dict[str, str] = {}
        c: str | None = code
        while c is not None:
            by_kind.setdefault(kind_of[c], c)
            c = info_parent[c]
        result[code] = UnitInfo(
            code=code, kind=kind_of[code], name=u["name"], parent_code=info_parent[code],
            township_code=by_kind.get(UnitKind.TOWNSHIP.value),
            district_code=by_kind.get(UnitKind.DISTRICT.value),
            descendants=frozenset(children[code]),
        )
    _tree, _stamp = result, stamp
    return result


async def scope_for(codes: list[str]) -> OrgScope:
    """The OrgScope covering the given units and everything below them (the district: everything)."""
    units = await tree()
    covered: set[str] = set()
    for code in codes:
        info = units.get(code)
        if info is None:
            continue
        if info.kind == "district":
            return OrgScope.everything()
        covered.add(code)
        covered.update(info.descendants)
    return OrgScope(frozenset(covered))


async def is_empty() -> bool:
    """True when the database holds no org units yet (a fresh install)."""
    return not await OrgUnit.exists()


async def find_board(code: str) -> Board | None:
    """A board with its community, or None (retired ones included)."""
    return await Board.get_or_none(code=code).prefetch_related("community")


async def board_problems(rows: list[dict[str, Any]]) -> list[str]:
    """What stops adding these boards (``code``, ``community_code``, ``_where`` per row): unknown or
    non-community units, codes already taken."""
    problems: list[str] = []
    units = {u.code: u for u in await OrgUnit.filter(code__in=list({r["community_code"] for r in rows}))}
    existing = set(await Board.filter(code__in=[r["code"] for r in rows]).values_list("code", flat=True))
    for r in rows:
        u = units.get(r["community_code"])
        if r["community_code"] and u is None:
            problems.append(f"{r['_where']}: community_code {r['community_code']} 不存在（请先导入组织数据）")
        elif u is not None and u.kind != UnitKind.COMMUNITY:
            problems.append(f"{r['_where']}: community_code {r['community_code']} 不是社区/村")
        if r["code"] in existing:
            problems.append(f"{r['_where']}: 公示牌编码 {r['code']} 已存在（修改已有公示牌请用 fawu org import）")
    return problems


async def create_boards(rows: list[dict[str, Any]]) -> int:
    """Create boards (rows checked by ``board_problems``), all in one transaction."""
    async with in_transaction():
        for r in rows:
            community = await OrgUnit.get(code=r["community_code"])
            await Board.create(code=r["code"], community=community, place=r["place"],
                               place_kind=r["place_kind"], qr_kind=r["qr_kind"], active=r["active"])
    return len(rows)


async def get_unit(code: str) -> OrgUnit:
    unit = await OrgUnit.get_or_none(code=code)
    if unit is None:
        raise UnitNotFound(f"没有找到编码为 {code} 的单位。")
    return unit


async def unit_info(code: str) -> UnitInfo:
    info = (await tree()).get(code)
    if info is None:
        raise UnitNotFound(f"没有找到编码为 {code} 的单位。")
    return info


async def district() -> OrgUnit | None:
    return await OrgUnit.filter(kind=UnitKind.DISTRICT).first()


async def list_units(kind: UnitKind | None = None, parent_code: str | None = None) -> list[OrgUnit]:
    qs = OrgUnit.filter(active=True)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if parent_code is not None:
        qs = qs.filter(parent__code=parent_code)
    return await qs.order_by("code")


async def get_board(code: str) -> Board:
    board = await Board.get_or_none(code=code).prefetch_related("community")
    if board is None:
        raise BoardNotFound(f"没有找到编号为 {code} 的公示牌。")
    return board


async def list_boards(unit_code: str | None = None, *, active_only: bool = True) -> list[Board]:
    """Boards of the whole district, or below one unit (township or community)."""
    qs = Board.all().prefetch_related("community")
    if active_only:
        qs = qs.filter(active=True)
    if unit_code is not None:
        info = await unit_info(unit_code)
        codes = {info.code, *info.descendants}
        qs = qs.filter(community__code__in=list(codes))
    return await qs.order_by("code")


async def advisors_of(community_code: str) -> list[Advisor]:
    return await Advisor.filter(community__code=community_code, active=True).order_by("code")


async def service_points_for(unit_code: str) -> list[ServicePoint]:
    """The desks nearest a unit: its own, then its township's, then the district centre."""
    info = await unit_info(unit_code)
    chain = [c for c in (info.code, info.township_code, info.district_code) if c]
    points = await ServicePoint.filter(unit__code__in=chain, active=True).prefetch_related("unit")
    rank = {c: i for i, c in enumerate(chain)}
    return sorted(points, key=lambda p: (rank.get(p.unit.code, 99), p.code))


async def service_point(code: str) -> ServicePoint | None:
    """One active service point by code, with its unit (None when unknown or inactive)."""
    return await ServicePoint.filter(code=code, active=True).prefetch_related("unit").first()


async def all_service_points() -> list[ServicePoint]:
    """Every active service point with its unit: the centre, then stations, then workrooms."""
    rank = {"centre": 0, "station": 1, "workroom": 2}
    points = await ServicePoint.filter(active=True).prefetch_related("unit")
    return sorted(points, key=lambda p: (rank.get(p.kind, 9), p.code))
