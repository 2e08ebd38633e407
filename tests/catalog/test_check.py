"""`fawu catalog check`: services other domains use that the catalogue lacks, legal bases not in the corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.catalog import service
from app.laws import service as laws_service


@pytest.fixture
async def corpus(settings: Any) -> None:
    await laws_service.import_folder(folder=settings.laws_dir)


async def test_the_demo_catalogue_passes_the_check(catalog: Any, corpus: None) -> None:
    assert await service.check() == []


async def test_check_lists_missing_case_types_and_unresolved_bases(demo_org: None, corpus: None, folder: Path) -> None:
    services = folder / "services.toml"
    text = services.read_text(encoding="utf-8")
    text = text.replace('code = "notarization"', 'code = "notary"').replace('refs = ["notarization"]', "refs = []")
    text = text.replace('{ law = "公证法", article = "第三十条" },', '{ law = "公证法", article = "第九十条" },', 1)
    text = text.replace('{ law = "人民调解法", article = "第四条" },', '{ law = "婚姻法", article = "第三十二条" },')
    services.write_text(text, encoding="utf-8")
    await service.import_folder(folder)
    problems = await service.check()
    assert any("事项类型使用的服务“notarization”在服务清单中没有对应事项" in p for p in problems), problems
    assert any("服务“公证”（notary）的法律依据《公证法》第九十条无法在法规库中找到" in p for p in problems)
    assert any("《婚姻法》第三十二条" in p and "people_mediation" in p for p in problems)  # repealed by the Civil Code
    assert len(problems) == 3, problems


async def test_cases_resolve_to_catalogue_entries(catalog: Any) -> None:
    from app.cases import service as cases_service

    for case_type in cases_service.service_case_types():
        entry = await service.service_for_ref(case_type)
        assert entry is not None, case_type
    aid = await service.service_for_ref("legal_aid")
    assert aid is not None and aid.time_limit == "7d" and aid.time_limit_zh == "7日"
    assert (await service.service_for_ref("notarization")).time_limit_zh == "15个工作日"  # type: ignore[union-attr]
