"""The article library: at least 30 articles, every one passes every check (citations against the corpus)."""

from __future__ import annotations

from typing import Any

from app.laws import service as laws_service
from app.push import service
from app.push.service import library


async def test_library_is_clean(demo_org: None, settings: Any) -> None:
    await laws_service.import_folder(folder=settings.laws_dir)
    files = library.load_folder(library.articles_dir(), categories=set(service.categories()))
    assert len(files) >= 30
    problems = await service.check_library()
    assert problems == []
    calendar = {f.season for f in files}
    assert {"3·15 消费者权益日", "5月 民法典宣传月", "12·4 国家宪法日", "春节前返乡讨薪季"} <= calendar
    cats = {c for f in files for c in f.categories}
    assert {"labor", "marriage_family", "debt_contract", "traffic", "tort_neighbour", "consumer", "inheritance",
            "legal_aid"} <= cats


async def test_library_import_then_check_catches_a_wrong_citation(demo_org: None, settings: Any,
                                                                   tmp_path: Any) -> None:
    await laws_service.import_folder(folder=settings.laws_dir)
    src = (library.articles_dir() / "wills.md").read_text(encoding="utf-8")
    bad = tmp_path / "wills-old.md"
    bad.write_text(src.replace("第一千一百三十四条", "第一千二百九十九条", 1)
                   + "\n依照《继承法》第十七条。\n", encoding="utf-8")
    problems = await service.check_library(folder=tmp_path)
    assert any("第一千二百九十九条" in p for p in problems)
    assert any("继承法" in p for p in problems)  # repealed since 2021: not in the corpus
    report = await service.import_library(folder=tmp_path)
    assert report.created == 1
