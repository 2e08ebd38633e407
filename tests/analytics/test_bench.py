"""bench/analytics.py keeps working: its smoke mode seeds a few thousand rows, rolls up and reads the page."""

from __future__ import annotations

from bench import analytics as bench


def test_bench_smoke(settings: object) -> None:
    assert bench.main(["--smoke"]) == 0
    assert bench.LAST["cells"] > 0 and bench.LAST["page_p95_ms"] > 0
