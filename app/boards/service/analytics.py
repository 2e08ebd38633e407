"""Scan analytics per board, community, township and district, with what residents did next."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.boards.models import BoardScan
from app.core import events
from app.org import service as org

# What residents did after a scan: each name is a column of the analytics, answered by the domain that
# counts it through the event ``boards.followups_requested`` (payload: board_codes, since, until; each
# subscriber returns ``{name: {board_code: count}}``, see docs/contracts.md "app.boards"). A name no
# domain answers yet (booking before it exists) shows as "—".
FOLLOWUPS: tuple[str, ...] = ("consulted", "booked", "cases")


async def followups(*, board_codes: list[str], since: datetime | None = None,
                    until: datetime | None = None) -> dict[str, dict[str, int] | None]:
    """What residents did after a scan, per follow-up; None where no domain counts it (or its counter failed)."""
    out: dict[str, dict[str, int] | None] = dict.fromkeys(FOLLOWUPS)
    for answer in await events.gather("boards.followups_requested", board_codes=board_codes, since=since,
                                      until=until):
        for name, counts in (answer or {}).items():
            if name in out:
                out[name] = dict(counts)
    return out


@dataclass
class StatRow:
    level: str  # board, community, township, district
    code: str
    name: str
    township: str = ""
    community: str = ""
    place: str = ""
    scans: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    unique: int = 0
    new_followers: int = 0
    consulted: int | None = None
    booked: int | None = None
    cases: int | None = None


async def scan_stats(*, unit_code: str | None = None, since: datetime | None = None,
                     until: datetime | None = None, scope: Any = None) -> list[StatRow]:
    """Scans per board, community, township and district: totals, unique visitors, new followers, next steps.

    ``scope`` (an OrgScope) limits the boards to the actor's units and hides levels above them.
    """
    units = await org.tree()
    boards = await org.list_boards(unit_code, active_only=False)
    if scope is not None:
        boards = [b for b in boards if scope.allows(b.community.code)]
    codes = [b.code for b in boards]
    qs = BoardScan.filter(board_code__in=codes) if codes else BoardScan.filter(id=-1)
    since = since.astimezone(UTC) if since is not None else None
    until = until.astimezone(UTC) if until is not None else None
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    scans = await qs.values("board_code", "kind", "visitor", "new_follower")
    nexts = await followups(board_codes=codes, since=since, until=until)
    board_of = {b.code: b for b in boards}

    rows: dict[tuple[str, str], StatRow] = {}
    visitors: dict[tuple[str, str], set[str]] = {}

    def keys_for(board: Any) -> list[tuple[str, str, str]]:
        info = units.get(board.community.code)
        out = [("board", board.code, board.place), ("community", board.community.code, board.community.name)]
        if info is not None and info.township_code:
            out.append(("township", info.township_code, units[info.township_code].name))
        if info is not None and info.district_code:
            out.append(("district", info.district_code, units[info.district_code].name))
        return out

    for b in boards:
        info = units.get(b.community.code)
        tname = units[info.township_code].name if info and info.township_code else ""
        for level, code, name in keys_for(b):
            if (level, code) not in rows:
                rows[(level, code)] = StatRow(level=level, code=code, name=name,
                                              township=tname if level in ("board", "community") else "",
                                              community=b.community.name if level == "board" else "",
                                              place=b.place if level == "board" else "")
                visitors[(level, code)] = set()
    for s in scans:
        scanned = board_of.get(s["board_code"])
        if scanned is None:
            continue
        for level, code, _ in keys_for(scanned):
            r = rows[(level, code)]
            r.scans += 1
            r.by_kind[s["kind"]] = r.by_kind.get(s["kind"], 0) + 1
            if s["new_follower"]:
                r.new_followers += 1
            if s["visitor"]:
                visitors[(level, code)].add(s["visitor"])
    for key, r in rows.items():
        r.unique = len(visitors[key])
    for b in boards:
        for name, counts in nexts.items():
            if counts is None:
                continue
            n = int(counts.get(b.code, 0))
            for level, code, _ in keys_for(b):
                r = rows[(level, code)]
                setattr(r, name, (getattr(r, name) or 0) + n)
    order = {"district": 0, "township": 1, "community": 2, "board": 3}
    out = sorted(rows.values(), key=lambda r: (order[r.level], r.code))
    if scope is not None:
        out = [r for r in out if r.level in ("board", "community") or scope.allows(r.code)]
    return out


CSV_HEADER = ["层级", "编码", "名称", "镇街", "社区/村", "位置", "扫码次数", "网址二维码", "公众号二维码", "小程序码",
              "独立访客", "扫码新增关注", "后续咨询", "后续预约", "后续办件"]
LEVEL_ZH = {"board": "公示牌", "community": "社区/村", "township": "镇/街道", "district": "区"}


def stats_csv(rows: list[StatRow]) -> bytes:
    """The analytics as CSV, UTF-8 with BOM so Excel opens the Chinese correctly."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEADER)
    for r in rows:
        w.writerow([LEVEL_ZH[r.level], r.code, r.name, r.township, r.community, r.place, r.scans,
                    r.by_kind.get("url", 0), r.by_kind.get("official", 0), r.by_kind.get("miniprogram", 0),
                    r.unique, r.new_followers, "" if r.consulted is None else r.consulted,
                    "" if r.booked is None else r.booked, "" if r.cases is None else r.cases])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
