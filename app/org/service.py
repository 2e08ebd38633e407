"""Reading the org tree: units, their township, advisors, boards and service points."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import NotFound
from app.org.models import Advisor, Board, OrgUnit, ServicePoint, UnitKind


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


def invalidate_cache() -> None:
    global _tree
    _tree = None


async def tree() -> dict[str, UnitInfo]:
    """All units by code, with ancestors and descendants resolved."""
    global _tree
    if _tree is not None:
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
    _tree = result
    return result


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
