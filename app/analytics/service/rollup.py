"""The rollup: per period (week, month), the other domains' figures grouped by their database, stored as
cells (count, distinct residents) per place and dimension, so pages read a few hundred rows at most.

Sources (read through their service functions and the ``analytics.figures_requested`` hook only):
consult (topic_counts), cases (case_counts; ratings by result_at), boards (scan_stats), and whatever
the subscribers of ``analytics.figures_requested`` answer (booking, surveys: docs/analytics.md)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from tortoise.transactions import in_transaction

from app.analytics.models import RollupCell, RollupRun
from app.analytics.service import periods
from app.boards import service as boards_service
from app.cases import service as cases_service
from app.config import get_settings
from app.consult import service as consult_service
from app.core import events
from app.core.clock import local_today, utcnow
from app.core.retry import retry_transaction

log = logging.getLogger("fawu.analytics")

# grain -> the fields grouped by (the township, the community, then the one dimension in ``dim``)
CONSULT_GRAINS: dict[str, tuple[str, ...]] = {
    "category": ("township_code", "category"),
    "community_category": ("township_code", "community_code", "category"),
    "district_category": ("category",),
    "channel": ("township_code", "channel"),
    "district_channel": ("channel",),
    "total": ("township_code",),
    "community_total": ("township_code", "community_code"),
    "district_total": (),
}
CASE_GRAINS: dict[str, tuple[str, ...]] = {
    "category": ("township_code", "category"),
    "community_category": ("township_code", "community_code", "category"),
    "district_category": ("category",),
    "channel": ("township_code", "channel"),
    "district_channel": ("channel",),
    "type": ("township_code", "type"),
    "district_type": ("type",),
    "total": ("township_code",),
    "district_total": (),
}
RATING_GRAINS: dict[str, tuple[str, ...]] = {"rating": ("township_code", "rating"), "district_rating": ("rating",)}
OWN_SOURCES = ("consult", "cases", "ratings", "scans")
HOOK = "analytics.figures_requested"


def _cell(source: str, period: str, start: date, grain: str, row: dict[str, Any], by: tuple[str, ...],
          count_key: str) -> RollupCell:
    dims = [f for f in by if f not in ("township_code", "community_code")]
    return RollupCell(source=source, period=period, period_start=start, grain=grain,
                      township_code=row.get("township_code", "") if not grain.startswith("district_") else "",
                      community_code=row.get("community_code", ""),
                      dim=str(row[dims[0]])[:32] if dims else "", count=int(row[count_key]),
                      residents=int(row["residents"]))


def _hook_cells(period: str, start: date, answers: list[Any]) -> list[RollupCell]:
    """Cells a subscriber answered; malformed rows are left out (and logged), never half-stored."""
    out: list[RollupCell] = []
    for answer in answers:
        for row in answer or []:
            try:
                source, grain = str(row["source"]), str(row["grain"])
                if source in OWN_SOURCES or not source or not grain:
                    raise ValueError(f"source {source!r} / grain {grain!r}")
                count, residents = int(row["count"]), int(row.get("residents", row["count"]))
                if count < 0 or residents < 0:
                    raise ValueError("negative")
                out.append(RollupCell(source=source[:24], period=period, period_start=start, grain=grain[:24],
                                      township_code=str(row.get("township_code") or "")[:32],
                                      community_code=str(row.get("community_code") or "")[:32],
                                      dim=str(row.get("dim") or "")[:32], count=count, residents=residents))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("analytics: a %s answer row was left out (%s)", HOOK, exc)
    return out


async def compute_period(period: str, start: date) -> int:
    """Recompute every cell of one period (replacing the old ones in one transaction); returns the cells."""
    since, until = periods.bounds(period, start)
    cells: list[RollupCell] = []
    for grain, by in CONSULT_GRAINS.items():
        for row in await consult_service.topic_counts(since=since, until=until, by=by):
            cells.append(_cell("consult", period, start, grain, row, by, "consultations"))
    for grain, by in CASE_GRAINS.items():
        for row in await cases_service.case_counts(since=since, until=until, by=by):
            cells.append(_cell("cases", period, start, grain, row, by, "cases"))
    for grain, by in RATING_GRAINS.items():
        for row in await cases_service.case_counts(since=since, until=until, by=by, time_field="result_at"):
            if row["rating"]:
                cells.append(_cell("ratings", period, start, grain, row, by, "cases"))
    for s in await boards_service.scan_stats(since=since, until=until):
        if s.level in ("township", "community") and s.scans:
            cells.append(RollupCell(source="scans", period=period, period_start=start,
                                    grain="total" if s.level == "township" else "community_total",
                                    township_code=s.code if s.level == "township" else "",
                                    community_code=s.code if s.level == "community" else "",
                                    dim="", count=s.scans, residents=s.unique))
    cells.extend(_hook_cells(period, start, await events.gather(HOOK, period=period, since=since, until=until)))
    # two processes may replace the same period at once (each computes the same cells): MariaDB rolls one
    # back as a deadlock victim, and it replaces them again
    await retry_transaction(lambda: _replace(period, start, cells), what="analytics.rollup")
    return len(cells)


async def _replace(period: str, start: date, cells: list[RollupCell]) -> None:
    async with in_transaction():
        await RollupCell.filter(period=period, period_start=start).delete()
        if cells:
            await RollupCell.bulk_create([_fresh(c) for c in cells], batch_size=500)
        run = await RollupRun.get_or_none(period=period, period_start=start)
        if run is None:
            await RollupRun.create(period=period, period_start=start, computed_at=utcnow(), cells=len(cells))
        else:
            run.computed_at, run.cells = utcnow(), len(cells)
            await run.save(update_fields=["computed_at", "cells"])


def _fresh(cell: RollupCell) -> RollupCell:
    """An unsaved copy (a rolled-back bulk insert may have left ids on the first attempt's objects)."""
    return RollupCell(**{f: getattr(cell, f) for f in cell._meta.fields_db_projection if f != cell._meta.pk_attr})


async def run_rollup(*, today: date | None = None, weeks: int | None = None, max_missing: int = 200) -> dict[str, int]:
    """The daily rollup: the current and the previous week and month are always recomputed (late data,
    recategorised cases); older periods only when missing (first run, a gap), back ``weeks`` weeks."""
    today = today or local_today()
    weeks = weeks or get_settings().analytics_history_weeks
    done = {"recomputed": 0, "filled": 0, "cells": 0}
    for period, n in (("week", weeks), ("month", weeks // 4 + 2)):
        starts = periods.recent(period, today, n)
        have = set(await RollupRun.filter(period=period, period_start__in=starts).values_list("period_start", flat=True))
        fresh = starts[-2:]
        for start in starts:
            if start in fresh:
                done["recomputed"] += 1
            elif start in have or done["filled"] >= max_missing:
                continue
            else:
                done["filled"] += 1
            done["cells"] += await compute_period(period, start)
    log.info("analytics rollup: %s", done)
    return done


async def last_run() -> RollupRun | None:
    return await RollupRun.all().order_by("-computed_at").first()
