"""Org import: validation with line numbers, all or nothing, idempotent re-import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.org.importer import OrgImportError, import_folder, parse_folder
from app.org.models import Advisor, Board, OrgUnit, ServicePoint

ORG = Path("content/org")


def copy_org(tmp_path: Path) -> Path:
    dst = tmp_path / "org"
    shutil.copytree(ORG, dst)
    return dst


class TestParseFolder:
    def test_demo_is_valid_and_believable(self) -> None:
        records, errors = parse_folder(ORG)
        assert errors == []
        kinds = [u["kind"] for u in records["units"]]
        assert kinds.count("district") == 1
        assert kinds.count("township") == 3
        assert 10 <= kinds.count("community") <= 12
        assert len(records["boards"]) >= 30
        communities = {u["code"] for u in records["units"] if u["kind"] == "community"}
        assert communities <= {a["community_code"] for a in records["advisors"]}

    def test_broken_row_reports_file_and_line(self, tmp_path: Path) -> None:
        folder = copy_org(tmp_path)
        lines = (folder / "boards.csv").read_text(encoding="utf-8").splitlines()
        lines[3] = "JXSQ03,NOPE,某楼,building,,是"
        (folder / "boards.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        _, errors = parse_folder(folder)
        assert any("boards.csv 第4行" in e and "NOPE" in e for e in errors)

    def test_bad_phone_and_kind(self, tmp_path: Path) -> None:
        folder = copy_org(tmp_path)
        with (folder / "advisors.csv").open("a", encoding="utf-8") as f:
            f.write("ADV999,JXSQ,测试,某所,139-abc,,是\n")
        with (folder / "units.csv").open("a", encoding="utf-8") as f:
            f.write("ZZ,county,YX,某县,,,,,,,是\n")
        _, errors = parse_folder(folder)
        assert any("advisors.csv" in e and "电话" in e for e in errors)
        assert any("units.csv" in e and "kind" in e for e in errors)

    def test_missing_column(self, tmp_path: Path) -> None:
        folder = copy_org(tmp_path)
        (folder / "boards.csv").write_text("code,place\nA1,x\n", encoding="utf-8")
        _, errors = parse_folder(folder)
        assert errors == ["boards.csv 第1行: 缺少列 community_code"]

    def test_not_utf8(self, tmp_path: Path) -> None:
        folder = copy_org(tmp_path)
        (folder / "boards.csv").write_bytes("code,community_code,place\nAB1,JXSQ,一号楼\n".encode("gbk"))
        _, errors = parse_folder(folder)
        assert any("UTF-8" in e for e in errors)


class TestImportFolder:
    async def test_import_then_reimport_updates_never_duplicates(self, db: None) -> None:
        report = await import_folder(ORG)
        assert report.created["boards"] == await Board.all().count()
        counts = (await OrgUnit.all().count(), await Advisor.all().count(), await Board.all().count(),
                  await ServicePoint.all().count())
        again = await import_folder(ORG)
        assert again.created == {}
        assert (await OrgUnit.all().count(), await Advisor.all().count(), await Board.all().count(),
                await ServicePoint.all().count()) == counts
        board = await Board.get(code="JXSQ01").prefetch_related("community")
        assert board.community.code == "JXSQ"
        unit = await OrgUnit.get(code="JXSQ").prefetch_related("parent")
        assert unit.parent is not None and unit.parent.code == "YXJD"

    async def test_reimport_changes_a_row(self, db: None, tmp_path: Path) -> None:
        folder = copy_org(tmp_path)
        await import_folder(folder)
        text = (folder / "boards.csv").read_text(encoding="utf-8").replace("锦绣社区1号楼", "锦绣社区一号楼")
        (folder / "boards.csv").write_text(text, encoding="utf-8")
        report = await import_folder(folder)
        assert report.updated["boards"] >= 1
        assert (await Board.get(code="JXSQ01")).place == "锦绣社区一号楼"

    async def test_broken_row_imports_nothing(self, db: None, tmp_path: Path) -> None:
        folder = copy_org(tmp_path)
        with (folder / "boards.csv").open("a", encoding="utf-8") as f:
            f.write("BAD1,JXSQ,,building,,是\n")
        with pytest.raises(OrgImportError) as info:
            await import_folder(folder)
        assert "boards.csv 第" in info.value.message_zh and "place" in info.value.message_zh
        assert await OrgUnit.all().count() == 0
        assert await Board.all().count() == 0
