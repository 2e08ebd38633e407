"""The token storm across real processes (bench.token_storm, smoke: 2 processes × 10 calls): exactly one
refresh reaches the loopback WeChat, every call succeeds."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_token_storm_across_processes_refreshes_once() -> None:
    import bench.token_storm as bench

    assert bench.main(["--smoke"]) == 0, bench.LAST
    assert bench.LAST["refreshes"] == 1 and bench.LAST["calls_ok"] == bench.LAST["calls"] == 20
