"""Catalog test helpers: the demo catalogue imported, and a copy of content/catalog to break."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.console.conftest import new_client  # noqa: F401 (the fixture, for tests here)

CONTENT = ROOT / "content" / "catalog"


@pytest.fixture
async def catalog(demo_org: None, settings: Any) -> Any:
    """The demo catalogue, directory and case library, imported through the service the command calls."""
    from app.catalog import service

    return await service.import_folder()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of content/catalog."""
    target = tmp_path / "catalog"
    shutil.copytree(CONTENT, target)
    return target
