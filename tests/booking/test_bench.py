"""bench/booking.py keeps working: its smoke mode books one slot of capacity 3 with a small burst, and the
naive baseline runs beside it."""

from __future__ import annotations

from bench import booking


def test_booking_bench_smoke() -> None:
    assert booking.main(["--smoke"]) == 0  # fawu made exactly 3 bookings in the burst
