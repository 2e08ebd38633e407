"""The printable monthly report: a PDF with the CJK font embedded, its text checked (figures,
suppression, rates), scoped to the clerk's township, audited."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.analytics import tasks
from app.core.actor import Role
from tests.analytics.conftest import TODAY, seed
from tests.analytics.test_rates import _rated
from tests.console.conftest import login
from tests.factories import make_staff

pytestmark = pytest.mark.usefixtures("frozen")


def _pdf(data: bytes, tool: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.pdf"
        path.write_bytes(data)
        return subprocess.run([tool, *args, str(path), "-"] if tool == "pdftotext" else [tool, str(path)],
                              capture_output=True, text=True, check=True).stdout


async def test_monthly_report_pdf(app: Any, client: httpx.AsyncClient, new_client: Any) -> None:
    if not shutil.which("pdftotext") or not shutil.which("pdffonts"):
        pytest.skip("needs poppler-utils (make fonts)")
    await seed([(TODAY, "YXJD", "JXSQ", "labor", "a", 7), (TODAY, "YXJD", "BHSQ", "marriage_family", "m", 2),
                (TODAY, "YXJD", "BHSQ", "traffic", "t", 3), (TODAY, "SQZ", "SQSQ", "labor", "s", 5)])
    await _rated("YXJD", "JXSQ", ["非常满意"] * 4 + ["不满意"], TODAY)
    await tasks.daily()
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    r = await client.get("/console/analytics/report.pdf?month=2026-11")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = _pdf(r.content, "pdftotext", "-layout")
    assert "云溪区公共法律服务月度分析报告" in text and "2026年11月" in text
    assert "劳动工资与工伤" in text and "其他（不足人数合并）" in text
    assert "婚姻家庭" not in text  # 2 residents: pooled, never named
    assert "满意率" in text and "80.0%" in text
    cjk = [line.split() for line in _pdf(r.content, "pdffonts").splitlines() if "WenQuanYi" in line]
    assert cjk and all(cols[-5] == "yes" for cols in cjk)  # the CJK font is embedded (a subset)
    from app.staff.models import AuditLog

    assert await AuditLog.filter(action="analytics.report").count() == 1
    await make_staff(username="sq", unit_codes=["SQZ"])
    c2 = new_client()
    await login(c2, "sq")
    text = _pdf((await c2.get("/console/analytics/report.pdf?month=2026-11")).content, "pdftotext", "-layout")
    assert "石桥镇" in text and "云溪街道" not in text and "锦绣社区" not in text
