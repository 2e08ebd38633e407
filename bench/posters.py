"""Poster throughput: ``python -m bench.posters [--n 1000] [--sizes a4,card] [--workers N] [--no-write]``.

Builds a scratch SQLite database with the demo district plus synthetic boards up to --n, gathers the
poster data (database, QR ledger) and renders every poster as PDF and PNG through the same code as
``fawu qr posters``; prints posters per second and writes them under "Posters" in docs/benchmarks.md. ``--smoke`` runs a tiny batch (for the test suite).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.docs import put_section

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


async def _prepare(n: int, db_path: Path) -> list[dict[str, Any]]:
    from tortoise import Tortoise

    from app.boards.posters.batch import collect
    from app.db import tortoise_config
    from app.org.importer import import_folder
    from app.org.models import Board, OrgUnit, UnitKind

    await Tortoise.init(config=tortoise_config(f"sqlite://{db_path}"), _enable_global_fallback=True)
    try:
        await Tortoise.generate_schemas()
        await import_folder(ROOT / "content" / "org")
        have = await Board.filter(active=True).count()
        communities = await OrgUnit.filter(kind=UnitKind.COMMUNITY).order_by("code")
        extra = [Board(code=f"BN{i:05d}", community=communities[i % len(communities)], place=f"测试楼栋{i}号")
                 for i in range(max(0, n - have))]
        if extra:
            await Board.bulk_create(extra, batch_size=500)
        items = await collect(kind="url")
        return items[:n]
    finally:
        await Tortoise.close_connections()


def run(*, n: int, size: str, formats: list[str], workers: int | None, chunk: int, out: Path) -> dict[str, Any]:
    from app.boards.posters.batch import render_batch
    from app.config import Settings, set_settings

    set_settings(Settings(database_url=f"sqlite://{out}/bench.sqlite3", log_level="WARNING", log_format="text",
                          var_dir=out / "var", content_dir=ROOT / "content", matrix_dir=ROOT / "matrix_accounts"))
    try:
        t0 = time.perf_counter()
        items = asyncio.run(_prepare(n, out / "bench.sqlite3"))
        gather = time.perf_counter() - t0
        result: dict[str, Any] = {"posters": len(items), "size": size, "workers": workers or os.cpu_count(),
                                  "gather_seconds": round(gather, 2), "cpus": os.cpu_count()}
        for fmt in formats:
            t = time.perf_counter()
            paths = render_batch(items, out_dir=out / fmt, size=size, fmt=fmt, workers=workers, chunk=chunk,
                                 pool_min=0)
            dt = time.perf_counter() - t
            assert len(paths) == len(items)
            result[fmt] = {"seconds": round(dt, 2), "posters_per_second": round(len(paths) / dt, 1),
                           "bytes_per_poster": sum(p.stat().st_size for p in paths) // max(1, len(paths))}
        return result
    finally:
        set_settings(None)


def baseline(n: int, out: Path) -> float:
    """Reference in the same run: the qrcode library's own PNG of a bare QR, one process (per second)."""
    import qrcode

    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for i in range(n):
        qrcode.make(f"http://127.0.0.1:8000/s/BN{i:05d}").save(out / f"q{i}.png")
    return n / (time.perf_counter() - t)


def table(results: list[dict[str, Any]], base: float) -> str:
    lines = [
        "`python -m bench.posters` renders every poster through the code of `fawu qr posters` (data gathered",
        "from a scratch SQLite database with the demo district plus synthetic boards, URL QR), in a process",
        f"pool of {results[0]['workers']} workers on {results[0]['cpus']} CPUs. Baseline in the same run: the "
        f"qrcode library saving a bare QR PNG, one process: {base:.0f}/s.",
        "",
        "| size | posters | gather s | PDF posters/s | PDF s | PNG (300 dpi) posters/s | PNG s | PNG ÷ bare QR |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['size']} | {r['posters']} | {r['gather_seconds']} | {r['pdf']['posters_per_second']} | "
                     f"{r['pdf']['seconds']} | {r['png']['posters_per_second']} | {r['png']['seconds']} | "
                     f"{r['png']['posters_per_second'] / base:.2f} |")
    lines += ["", "Target: 1,000 posters in under a minute, in each format."]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    put_section("## Posters", "## Posters\n\n" + section)


def measure(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Parse the options, run, print the figures; returns one result per size (tests call this)."""
    ap = argparse.ArgumentParser(prog="python -m bench.posters", description=__doc__)
    ap.add_argument("--n", type=int, default=1000, help="posters to render (default 1000)")
    ap.add_argument("--sizes", default="a4,card", help="comma-separated: a4,card")
    ap.add_argument("--workers", type=int, default=None, help="rendering processes (default: CPU count)")
    ap.add_argument("--chunk", type=int, default=20, help="posters per pool task")
    ap.add_argument("--out", type=Path, default=None, help="keep the files here (default: a temporary folder)")
    ap.add_argument("--smoke", action="store_true", help="a tiny run (8 posters, 2 workers), no doc update")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args, _ = ap.parse_known_args(argv)
    if args.smoke:
        args.n, args.workers, args.chunk = 8, 2, 2
    results = []
    with tempfile.TemporaryDirectory(prefix="fawu-bench-posters-") as tmp:
        root = args.out or Path(tmp)
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            out = root / size
            out.mkdir(parents=True, exist_ok=True)
            results.append(run(n=args.n, size=size, formats=["pdf", "png"], workers=args.workers,
                               chunk=args.chunk, out=out))
        base = baseline(20 if args.smoke else 200, root / "baseline")
    text = table(results, base)
    print(text)
    if not args.smoke and not args.no_write:
        write_doc(text)
    return results


def main(argv: list[str] | None = None) -> int:
    results = measure(argv)
    return 0 if all(r["posters"] > 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
