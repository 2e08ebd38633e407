"""The token-storm benchmark runs (smoke mode; no timing asserted): one refresh for the whole storm."""

from __future__ import annotations


def test_token_storm_bench_smoke() -> None:
    import bench.wechat_tokens as bench

    assert bench.main(["--smoke"]) == 0
    assert bench.LAST["refreshes"] == 1 and bench.LAST["callers"] == 20
