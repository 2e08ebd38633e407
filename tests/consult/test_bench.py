"""The consultation benchmark runs (smoke mode: a few hundred entries, no timing asserted)."""

from __future__ import annotations


def test_bench_smoke(settings: object) -> None:
    import bench.consult as bench

    assert bench.main(["--smoke"]) == 0
    r = bench.LAST
    assert r["entries"] == max(300, r["base_entries"]) and r["queries"] == 50
    assert r["qps"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0
