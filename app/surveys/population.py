"""The population survey of awareness (知晓率): a sample of all residents, imported from a CSV a clerk keeps in a
spreadsheet, answered to the analytics hook as ``survey_awareness`` rows. Without an import, 知晓率 stays
暂无数据 (the satisfaction survey reaches only people who used the service)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from app.core.clock import LOCAL_TZ, utcnow
from app.errors import InvalidInput
from app.org import service as org_service
from app.surveys.models import SurveyPopulation

HEADER = ("date", "township_code", "aware", "unaware")
HEADER_ZH = {"日期": "date", "镇街代码": "township_code", "知晓": "aware", "不知晓": "unaware"}


class PopulationFileInvalid(InvalidInput):
    code = "survey_population_invalid"
    message_zh = "知晓率调查文件有误。"


@dataclass
class Imported:
    batch: str
    rows: int
    respondents: int


def _int(value: str, where: str) -> int:
    v = (value or "").strip()
    if not v.isdigit():
        raise PopulationFileInvalid(f"{where}：人数应为非负整数（现为“{value}”）。")
    return int(v)


async def import_csv(*, text: str, batch: str) -> Imported:
    """Load one batch (all or nothing; the batch's earlier rows are replaced). Columns: date (YYYY-MM-DD, the
    day surveyed), township_code, aware, unaware (respondents answering they know / do not know the service);
    Chinese headers 日期, 镇街代码, 知晓, 不知晓 also work."""
    batch = batch.strip()[:64]
    if not batch:
        raise PopulationFileInvalid("请给这批调查数据一个名称（--batch）。")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [HEADER_ZH.get((f or "").strip(), (f or "").strip()) for f in reader.fieldnames or []]
    if not set(HEADER) <= set(fields):
        raise PopulationFileInvalid(f"表头应为 {','.join(HEADER)}（或 日期,镇街代码,知晓,不知晓）。")
    reader.fieldnames = fields
    tree = await org_service.tree()
    now = utcnow()
    rows: list[SurveyPopulation] = []
    for n, raw in enumerate(reader, start=2):
        where = f"第{n}行"
        try:
            day = date.fromisoformat((raw.get("date") or "").strip())
        except ValueError as exc:
            raise PopulationFileInvalid(f"{where}：日期应为 YYYY-MM-DD。") from exc
        code = (raw.get("township_code") or "").strip()
        if code not in tree or tree[code].kind != "township":
            raise PopulationFileInvalid(f"{where}：没有代码为“{code}”的镇街。")
        aware, unaware = _int(raw.get("aware", ""), where), _int(raw.get("unaware", ""), where)
        rows.append(SurveyPopulation(batch=batch, surveyed_on=day, township_code=code, aware=aware, unaware=unaware,
                                     imported_at=now))
    if not rows:
        raise PopulationFileInvalid("文件中没有数据行。")
    async with in_transaction():
        await SurveyPopulation.filter(batch=batch).delete()
        await SurveyPopulation.bulk_create(rows)
    return Imported(batch, len(rows), sum(r.aware + r.unaware for r in rows))


async def for_analytics(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """``survey_awareness`` rows (grain township, dim aware/unaware) of the days surveyed in the period."""
    first, last = since.astimezone(LOCAL_TZ).date(), until.astimezone(LOCAL_TZ).date()
    rows = await SurveyPopulation.filter(surveyed_on__gte=first, surveyed_on__lt=last)
    cells: dict[tuple[str, str], int] = {}
    for r in rows:
        for dim, n in (("aware", r.aware), ("unaware", r.unaware)):
            if n:
                cells[(r.township_code, dim)] = cells.get((r.township_code, dim), 0) + n
    return [{"source": "survey_awareness", "grain": "township", "township_code": t, "community_code": "",
             "dim": d, "count": n, "residents": n} for (t, d), n in sorted(cells.items())]
