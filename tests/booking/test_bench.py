"""bench/booking.py keeps working: its smoke mode (its own process: it sets up its own database) books one
slot of capacity 3 with a small burst, the naive baseline beside it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_booking_bench_smoke() -> None:
    r = subprocess.run([sys.executable, "-m", "bench.booking", "--smoke"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]  # exit 0: fawu made exactly 3 bookings
    assert "fawu" in r.stdout and "booked [3]" in r.stdout
