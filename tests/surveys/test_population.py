"""知晓率 from a population survey (issue 22 §3): a batch imported from a CSV (all or nothing, re-import replaces)
is answered to the analytics hook and read by the three rates with its denominator; without one, 暂无数据."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.analytics import service as analytics
from app.core.scope import OrgScope
from app.surveys import service

CSV = "\ufeff日期,镇街代码,知晓,不知晓\n2026-11-10,TYZ,150,50\n2026-11-12,YXJD,80,20\n2026-11-13,YXJD,0,0\n"


async def _awareness() -> Any:
    await analytics.compute_period("month", date(2026, 11, 1))
    tables = {t.rate.key: t for t in (await analytics.three_rates(scope=OrgScope.everything(),
                                                                  month=date(2026, 11, 1)))["tables"]}
    return tables["awareness"]


async def test_population_survey_gives_awareness_with_its_denominator(app: Any, demo_org: None) -> None:
    assert not (await _awareness()).has_data  # nothing imported: 暂无数据, never a guess
    done = await service.import_population(text=CSV, batch="2026年度知晓率调查")
    assert (done.rows, done.respondents) == (3, 300)
    table = await _awareness()
    rows = {r.code: r for r in table.rows}
    assert (rows["TYZ"].yes, rows["TYZ"].total, rows["TYZ"].rate) == (150, 200, 75.0)
    assert (rows["YXJD"].yes, rows["YXJD"].total, rows["YXJD"].rate) == (80, 100, 80.0)
    # re-imported (corrected): replaced, not added
    await service.import_population(text=CSV.replace("150,50", "140,60"), batch="2026年度知晓率调查")
    rows = {r.code: r for r in (await _awareness()).rows}
    assert (rows["TYZ"].yes, rows["TYZ"].total) == (140, 200)


@pytest.mark.parametrize("text, says", [
    ("date,township_code,aware\n2026-11-10,TYZ,1\n", "表头应为"),
    ("date,township_code,aware,unaware\n2026-11-10,NOPE,1,2\n", "没有代码为“NOPE”的镇街"),
    ("date,township_code,aware,unaware\n2026-11-10,TYZ,-1,2\n", "第5行：人数应为非负整数"),
    ("date,township_code,aware,unaware\n11/10/2026,TYZ,1,2\n", "日期应为 YYYY-MM-DD"),
    ("date,township_code,aware,unaware\n", "没有数据行"),
])
async def test_a_bad_file_is_refused_whole_with_a_chinese_message(app: Any, demo_org: None, text: str,
                                                                  says: str) -> None:
    await service.import_population(text=CSV, batch="b")
    with pytest.raises(service.PopulationFileInvalid) as exc:
        await service.import_population(text=CSV + text.split("\n", 1)[1] if "表头" not in says and "没有数据" not in says
                                        else text, batch="b")
    assert says in exc.value.message_zh
    rows = {r.code: r for r in (await _awareness()).rows}
    assert rows["TYZ"].total == 200  # the batch as it was: nothing half-imported
