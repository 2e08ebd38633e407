"""S6 Honest figures on a seeded data set computed by hand: the satisfaction rate (the top three levels
÷ counted responses) always with its denominator, the response rate, bad reviews open/overdue; the
district equals the sum of its townships exactly; the CSV equals the console; the CLI prints the CSV;
the dashboard's tile shows the same rate."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
from datetime import timedelta
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from app.cases.models import Case
from app.core import clock
from app.core.actor import SYSTEM
from app.surveys import commands, service
from app.surveys.models import SurveyResponse
from tests.console.conftest import HTML, login
from tests.factories import make_staff

# (township, service, provider, level or None for no answer, skipped)
SEED = [("YXJD", "consultation", "李四", 1, False), ("YXJD", "consultation", "李四", 3, False),
        ("YXJD", "mediation", "张三", 5, False), ("YXJD", "mediation", "张三", None, False),
        ("TYZ", "consultation", "陈五", 2, False), ("TYZ", "legal_aid", "陈五", 4, False),
        ("TYZ", "legal_aid", "陈五", None, True)]


async def _seed() -> dict[int, int]:
    ids: dict[int, int] = {}
    for i, (unit, kind, provider, level, skipped) in enumerate(SEED):
        inv = await service.invite(service.ServiceRef(
            service_key=f"booking:seed{i}", service_type="appointment", service=kind, township_code=unit,
            provider=provider, channel="walk_in", no_survey_reason="居民拒绝" if skipped else ""))
        if level is not None:
            resp, _ = await service.answer(invitation_id=inv.id, level=level, via="board")
            ids[i] = resp.id
    # the 非常不满意 of row 2 is overdue; the 不满意 of row 5 is under appeal (still counted)
    bad = await SurveyResponse.get(id=ids[2])
    await Case.filter(id=bad.bad_case_id).update(deadline_at=clock.utcnow() - timedelta(hours=1))
    await SurveyResponse.filter(id=ids[5]).update(appeal="requested", appeal_reason="有误")
    return ids


def _table(page: str) -> list[list[str]]:
    body = page.split('id="survey-figures"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[html.unescape(c) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", r, re.S)] for r in rows]


async def test_figures_by_hand(demo_org: None) -> None:
    await _seed()
    rows, total = await service.compute(actor=SYSTEM, by="township")
    by = {r.key: r for r in rows}
    yx, ty = by["YXJD"], by["TYZ"]
    assert (yx.invited, yx.responded, yx.counted, yx.satisfied, yx.bad, yx.bad_open, yx.bad_overdue) == (4, 3, 3, 2, 1, 1, 1)
    assert (ty.invited, ty.responded, ty.counted, ty.satisfied, ty.bad, ty.bad_open, ty.appealing) == (2, 2, 2, 1, 1, 1, 1)
    assert yx.csv()[6] == "66.7%（2/3）" and ty.csv()[6] == "50.0%（1/2）" and yx.csv()[3] == "75.0%（3/4）"
    assert total.csv()[6] == "60.0%（3/5）" and total.csv()[3] == "83.3%（5/6）"
    assert total.csv()[12] == "0.0%（0/2）"  # no call-back recorded yet for the two bad reviews
    # the district is the sum of its townships, exactly
    [district], _ = await service.compute(actor=SYSTEM, by="district")
    assert district.csv()[1:] == total.csv()[1:]
    services = {r.key: r.csv()[6] for r in (await service.compute(actor=SYSTEM, by="service"))[0]}
    assert services == {"consultation": "100.0%（3/3）", "mediation": "0.0%（0/1）", "legal_aid": "0.0%（0/1）"}
    providers = {r.key: (r.invited, r.responded) for r in (await service.compute(actor=SYSTEM, by="provider"))[0]}
    assert providers == {"李四": (2, 2), "张三": (2, 1), "陈五": (2, 2)}
    month = (await service.compute(actor=SYSTEM, by="month"))[0]
    assert len(month) == 1 and month[0].csv()[1:] == total.csv()[1:]


async def test_csv_equals_console_and_cli_and_the_dashboard_tile(client: httpx.AsyncClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    await _seed()
    await make_staff(username="district", name="王主任", role="district_admin", unit_codes=["YX"])
    await make_staff(username="yxjd", name="李四", unit_codes=["YXJD"])
    await login(client, "district")
    page = await client.get("/console/surveys?by=township", headers=HTML)
    assert page.status_code == 200
    shown = _table(page.text)
    export = await client.get("/console/surveys/export?by=township", headers=HTML)
    assert export.status_code == 200 and export.text.startswith("\ufeff")
    from_csv = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert shown == from_csv and from_csv[-1][0] == "合计" and from_csv[-1][6] == "60.0%（3/5）"
    dashboard = await client.get("/console/dashboard", headers=HTML)
    assert "满意率 60.0%（3/5）" in dashboard.text and "参评率 83.3%（5/6）" in dashboard.text
    bad = await client.get("/console/surveys/bad?state=overdue", headers=HTML)
    assert bad.text.count("/console/surveys/bad/") == 1 and "已超期" in bad.text
    # a township sees its own rows only
    client.cookies.clear()
    await login(client, "yxjd")
    own = _table((await client.get("/console/surveys?by=township", headers=HTML)).text)
    assert [r[0] for r in own[1:]] == ["云溪街道", "合计"] and own[-1][6] == "66.7%（2/3）"
    # the CLI prints the district's CSV: the command runs on this test's loop and database
    loop = asyncio.get_running_loop()

    async def same_db(fn: Any, **_: Any) -> Any:
        return await fn()

    monkeypatch.setattr(commands, "with_db", same_db)
    monkeypatch.setattr(commands, "run_async", lambda coro: asyncio.run_coroutine_threadsafe(coro, loop).result(60))
    group = click.Group()
    commands.register(group)
    result = await asyncio.to_thread(CliRunner().invoke, group, ["surveys", "figures", "--by", "township"])
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == from_csv
