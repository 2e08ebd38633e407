"""The callback benchmark's smoke mode still runs (real servers, tiny load, no figures written)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_bench_callback_smoke() -> None:
    before = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bench.callback", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| plain |" in proc.stdout and "| safe |" in proc.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8") == before
