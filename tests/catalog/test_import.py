"""`fawu catalog import`: the demo content loads; bad rows and personal data refuse the whole import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from app.catalog import commands, service
from app.catalog.models import CaseStudy, CatalogService, PracticeRecord, Provider


def _cli() -> click.Group:
    group = click.Group()
    commands.register(group)
    return group


async def test_the_demo_content_imports_and_reimports_without_duplicates(catalog: Any) -> None:
    assert await CatalogService.filter(active=True).count() >= 15
    assert await CaseStudy.filter(status="published").count() >= 15
    for township in ("YXJD", "TYZ", "SQZ"):  # every township has lawyers, mediators and a judicial office
        kinds = {p.kind for p in await service.search_providers(township=township)}
        assert {"lawyer", "mediation_committee", "judicial_office", "legal_aid_centre"} <= kinds, township
    again = await service.import_folder()
    assert all(c == 0 for c, _ in again.counts.values()), again.counts
    assert await Provider.all().count() == catalog.counts["providers"][0]


async def test_a_bad_directory_row_imports_nothing_and_names_its_line(demo_org: None, folder: Path) -> None:
    csv = folder / "providers.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",judicial_office,", ",judge,")  # line 4
    lines[6] = lines[6].replace("YXJD;TYZ", "YXJD;NOWHERE")  # line 7
    lines.append("LY-NEW,lawyer,某律师,LF-MZ,YXJD,算命,,普通话,1234-5,,,,,是")  # line 41: 3 errors
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(service.CatalogImportError) as err:
        await service.import_folder(folder)
    text = err.value.message_zh
    assert "providers.csv 第4行: 类型 kind 'judge' 不对" in text
    assert "providers.csv 第7行: 镇街编码 NOWHERE 不存在于组织数据" in text
    assert f"providers.csv 第{len(lines)}行: 服务领域 '算命' 不在词表中" in text
    assert f"providers.csv 第{len(lines)}行: phone 不是有效的电话号码" in text
    assert await Provider.all().count() == 0 and await CatalogService.all().count() == 0  # all or nothing
    assert await CaseStudy.all().count() == 0


async def test_records_and_services_errors_carry_lines(demo_org: None, folder: Path) -> None:
    (folder / "records.csv").write_text(
        "code,provider_code,type,decision_date,authority,summary\n"
        "R1,LY-ADV001,bar_warning,2026-13-01,律协,内容\n"
        "R2,NOBODY,bar_whatever,2026-01-01,律协,内容\n", encoding="utf-8")
    services = folder / "services.toml"
    services.write_text(services.read_text(encoding="utf-8").replace('time_limit = "7d"', 'time_limit = "7天"', 1),
                        encoding="utf-8")
    with pytest.raises(service.CatalogImportError) as err:
        await service.import_folder(folder)
    text = err.value.message_zh
    assert "records.csv 第2行: decision_date 应为日期 YYYY-MM-DD" in text
    assert "records.csv 第3行: provider_code NOBODY 不在服务机构名录中" in text
    assert "records.csv 第3行: 类型 'bar_whatever' 不在 record_types.toml 中" in text
    assert "（legal_aid_civil）: time_limit（办理时限）应为" in text and "services.toml 第" in text


async def test_a_case_with_personal_data_refuses_the_import(demo_org: None, folder: Path) -> None:
    case = folder / "cases" / "dog-bite.md"
    case.write_text(case.read_text(encoding="utf-8").replace("七十岁的卫奶奶", "七十岁的卫秀兰（电话13812345678）"),
                    encoding="utf-8")
    with pytest.raises(service.CatalogImportError) as err:
        await service.import_folder(folder)
    assert "cases/dog-bite.md: 含有手机号 138****5678" in err.value.message_zh
    assert "卫秀兰" in err.value.message_zh
    assert "13812345678" not in err.value.message_zh
    assert await CaseStudy.all().count() == 0


async def test_a_revoked_flag_in_the_file_withdraws_and_audits(catalog: Any, folder: Path) -> None:
    from app.staff import service as staff_service

    records = folder / "records.csv"
    records.write_text(records.read_text(encoding="utf-8").replace(",,否\n", ",,是\n", 1), encoding="utf-8")
    await service.import_folder(folder)
    r = await PracticeRecord.get(code="R2026-001")
    assert r.revoked_at is not None and await service.visible_records("LY-YX-A") == []
    actions = [a.action for a in await staff_service.recent_audit(action_prefix="catalog.")]
    assert "catalog.record_changed" in actions and "catalog.record_added" in actions


def test_the_command_prints_every_error_in_chinese(settings: Any, folder: Path, tmp_path: Path) -> None:
    from app.config import set_settings
    from tests.conftest import make_settings

    set_settings(make_settings(database_url=f"sqlite://{tmp_path}/cli.db"))  # the command opens its own database
    (folder / "providers.csv").write_text("code,kind,name\nX1,lawyer,张三\n", encoding="utf-8")
    res = CliRunner().invoke(_cli(), ["catalog", "import", str(folder)])
    assert res.exit_code == 2, res.output
    assert "未导入任何内容" in res.output and "providers.csv 第1行: 缺少列 townships" in res.output
    ok = CliRunner().invoke(_cli(), ["catalog", "import", "--dry-run"])
    assert ok.exit_code == 0 and "校验通过" in ok.output, ok.output
