"""Analytics benchmark: the statistics page's queries on a district's year of consultations and cases.

Seeds N consultations (default 1,000,000) and M cases (default 100,000) over the last 60 weeks across the
demo district's townships, communities and categories; runs the rollup (timed); then times the page's
reads (district and township: by category, by place, 12-period trend) from the rollup, p50/p95 over
repeated runs. Baseline in the same run: the same week's figures grouped directly from the raw
consultations (``consult_service.topic_counts``, one grouped query per table). ``--db`` takes a mysql:// URL
(MariaDB); default a temporary SQLite file. `python -m bench.analytics [--smoke] [--consultations N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

LAST: dict[str, Any] = {}
CATEGORIES = ["labor", "marriage_family", "debt_contract", "traffic", "property_land", "inheritance", "consumer",
              "tort_neighbour", "medical", "criminal", "administrative", "legal_aid", "mediation", "notarization",
              "other"]


async def _seed(n_consult: int, n_cases: int, weeks: int) -> None:
    from app.cases.models import Case
    from app.consult.models import Consultation
    from app.core.clock import utcnow
    from app.org import service as org_service

    tree = await org_service.tree()
    communities = [(u.township_code, c) for c, u in tree.items() if u.kind == "community"]
    rng = random.Random(22)
    now = utcnow()
    span = weeks * 7 * 86400
    batch: list[Any] = []
    for _ in range(n_consult):
        t, c = rng.choice(communities)
        batch.append(Consultation(question="（基准）", category=rng.choice(CATEGORIES), township_code=t,
                                  community_code=c, channel=rng.choice(("wechat", "web", "miniprogram")),
                                  client=f"c{rng.randrange(n_consult // 3 + 1)}",
                                  created_at=now - timedelta(seconds=rng.randrange(span))))
        if len(batch) >= 5000:
            await Consultation.bulk_create(batch, batch_size=5000)
            batch = []
    if batch:
        await Consultation.bulk_create(batch, batch_size=5000)
    batch = []
    for i in range(n_cases):
        t, c = rng.choice(communities)
        at = now - timedelta(seconds=rng.randrange(span))
        batch.append(Case(number=f"B{i:09d}", type="consultation", category=rng.choice(CATEGORIES), summary="（基准）",
                          township_code=t, community_code=c, channel=rng.choice(("walk_in", "hotline", "web")),
                          resident_id=rng.randrange(n_cases // 2 + 1), opened_at=at, clock_start_at=at,
                          result_at=at + timedelta(days=3), rating=rng.choice(("满意", "非常满意", "不满意", None))))
        if len(batch) >= 5000:
            await Case.bulk_create(batch, batch_size=5000)
            batch = []
    if batch:
        await Case.bulk_create(batch, batch_size=5000)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def run(n_consult: int, n_cases: int, repeats: int, db_url: str | None) -> dict[str, Any]:
    from tortoise import Tortoise

    from app import wiring
    from app.analytics import service
    from app.config import set_settings
    from app.consult import service as consult_service
    from app.core.clock import local_today
    from app.core.scope import OrgScope
    from app.db import tortoise_config
    from app.org.importer import import_folder
    from tests.conftest import make_settings

    tmp = tempfile.mkdtemp(prefix="fawu-bench-analytics-")
    url = db_url or f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
    settings = make_settings(database_url=url)
    set_settings(settings)
    wiring.wire_events()
    mysql = url.startswith("mysql")
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True, _create_db=mysql)
    await Tortoise.generate_schemas(safe=True)
    try:
        await import_folder(settings.content_dir / "org")
        t0 = time.perf_counter()
        await _seed(n_consult, n_cases, weeks=60)
        seed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = await service.run_rollup(weeks=60)
        rollup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        await service.run_rollup(weeks=60)  # the daily run: only the open periods
        daily_s = time.perf_counter() - t0
        everything = OrgScope.everything()
        start = service.start_of("week", local_today())
        since, until = service.bounds("week", start)
        page, raw = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for place in (None, "YXJD"):
                await service.topic_stats(scope=everything, place_code=place)
            page.append((time.perf_counter() - t0) / 2)
            t0 = time.perf_counter()
            for by in (("category",), ("township_code", "category")):
                await consult_service.topic_counts(since=since, until=until, by=by)
            raw.append(time.perf_counter() - t0)
        out = {"consultations": n_consult, "cases": n_cases, "backend": url.split(":")[0], "seed_s": round(seed_s, 1),
               "rollup_full_s": round(rollup_s, 2), "rollup_daily_s": round(daily_s, 2), "cells": done["cells"],
               "page_p50_ms": round(1000 * statistics.median(page), 1), "page_p95_ms": round(1000 * _pct(page, 0.95), 1),
               "raw_p50_ms": round(1000 * statistics.median(raw), 1), "raw_p95_ms": round(1000 * _pct(raw, 0.95), 1)}
        out["ratio_p95"] = round(out["page_p95_ms"] / out["raw_p95_ms"], 3) if out["raw_p95_ms"] else None
        return out
    finally:
        if mysql:
            await Tortoise._drop_databases()  # the bench's own database (name it analytics_bench_…)
        await Tortoise.close_connections()
        set_settings(None)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.analytics")
    p.add_argument("--smoke", action="store_true", help="a few thousand rows, no timing claims")
    p.add_argument("--consultations", type=int, default=1_000_000)
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--db", default=None, help="mysql://… for MariaDB (default: a temporary SQLite file)")
    a = p.parse_args(argv)
    if a.smoke:
        a.consultations, a.cases, a.repeats = 3000, 300, 2
    out = asyncio.run(run(a.consultations, a.cases, a.repeats, a.db))
    LAST.clear()
    LAST.update(out)
    for k, v in out.items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
