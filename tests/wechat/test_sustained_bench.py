"""The sustained-callback bench's smoke mode (issue 24 §5): two `fawu serve` processes on MariaDB + Redis,
messages at a steady rate with WeChat-style retries (same MsgId, freshly signed), then the inbox compared
with what was sent: every message stored once, handled once, retries answered alike, no error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.mariadb_only, pytest.mark.slow]


def test_sustained_smoke_loses_nothing_and_handles_nothing_twice() -> None:
    before = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bench.sustained", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Verdict: every message stored once and handled once." in proc.stdout, proc.stdout
    assert "| left half-done (processing) | 0 |" in proc.stdout
    assert (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8") == before  # smoke writes no figures
