"""The org tree is cached per process and follows changes made by another process (``fawu org import``
while the server runs): a cheap fingerprint query at most every CHECK_EVERY seconds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.org import service as org_service
from app.org.importer import import_folder
from app.org.models import OrgUnit


async def _another_process_renames(code: str, name: str) -> None:
    """What a second process's import does (a row saved: updated_at moves); this process is not told."""
    unit = await OrgUnit.get(code=code)
    unit.name = name
    await unit.save()


async def test_a_change_by_another_process_is_seen(demo_org: None, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (await org_service.tree())["YXJD"].name
    await _another_process_renames("YXJD", "云溪新街道")
    assert (await org_service.tree())["YXJD"].name == before  # within CHECK_EVERY: the cache answers
    monkeypatch.setattr(org_service, "CHECK_EVERY", 0.0)
    assert (await org_service.tree())["YXJD"].name == "云溪新街道"
    scope = await org_service.scope_for(["YXJD"])
    assert scope.allows("JXSQ") and not scope.allows("TYZ")


async def test_an_import_in_this_process_is_seen_at_once(db: None, settings: Any, tmp_path: Path) -> None:
    assert await org_service.tree() == {}
    await import_folder(settings.content_dir / "org")
    assert "YXJD" in await org_service.tree()
