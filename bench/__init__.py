"""Benchmarks: `make bench` (figures in docs/benchmarks.md)."""
