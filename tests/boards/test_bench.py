"""bench/posters.py keeps working: its smoke mode renders a few posters of each size and format."""

from __future__ import annotations

from bench import posters
from tests import needs


@needs.font
@needs.pdf_font
def test_posters_bench_smoke() -> None:
    results = posters.measure(["--smoke"])
    assert [r["size"] for r in results] == ["a4", "card"]
    for r in results:
        assert r["posters"] == 8
        for fmt in ("pdf", "png"):
            assert r[fmt]["posters_per_second"] > 0 and r[fmt]["bytes_per_poster"] > 1000
