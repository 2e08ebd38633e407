"""The matrix push benchmark's smoke mode: everyone reached exactly once, every event matched."""

from __future__ import annotations


def test_push_bench_smoke() -> None:
    import bench.push as bench

    assert bench.main(["--smoke"]) == 0
    r = bench.LAST
    assert r["reached"] == r["people"] == 2000 and r["reached_twice"] == 0 and r["naive_reached_twice"] > 0
    matched, chunks = r["events_matched"].split("/")
    assert matched == chunks and r["sent_counted"] == 2000
