"""The callback benchmark's smoke mode still runs (real servers under `fawu serve`, the real generator when
wrk is installed, a second of load, no figures written)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_bench_callback_smoke() -> None:
    before = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bench.callback", "--smoke", "--systems", "bare", "sqlite"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| bare FastAPI + wechatpy echo (ceiling) |" in proc.stdout, proc.stdout
    assert "| fawu, SQLite, 1 process |" in proc.stdout, proc.stdout
    assert "bad answers" in proc.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8") == before
