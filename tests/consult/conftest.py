"""Consult test helpers: the small fixture knowledge base (tests/consult/fixtures/kb)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture
def fixture_kb(settings: object) -> Iterator[Path]:
    """Serve the fixture knowledge base instead of content/kb for this test."""
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    yield FIXTURE_KB
    engine.use_folder(None)
