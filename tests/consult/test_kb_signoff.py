"""Which knowledge-base entries still await a lawyer's sign-off: the console page and ``fawu kb signoff-status``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.actor import Role
from tests.conftest import ROOT
from tests.console.conftest import HTML, login, make_staff

ENTRY = '''
[[entry]]
id = "{id}"
category = "{cat}"
question = "{q}"
asks = ["{q}"]
answer = "请咨询律师或拨打 12348。"
statutes = [{{ law = "民法典", article = "第一千零七十九条" }}]
service = "hotline"
reviewer = "fawu 内容组（初审）"
review_date = 2026-12-05
{signoff}
'''


def write_kb(folder: Path) -> Path:
    """Three marriage entries (one signed off by a lawyer) and one inheritance entry."""
    signed = 'signoff = { by = "张律师 云溪律师事务所", date = 2026-12-06 }'
    text = "".join([
        ENTRY.format(id="marriage_family-a", cat="marriage_family", q="离婚怎么办理", signoff=signed),
        ENTRY.format(id="marriage_family-b", cat="marriage_family", q="彩礼能退吗", signoff=""),
        ENTRY.format(id="marriage_family-c", cat="marriage_family", q="抚养费怎么算", signoff=""),
        ENTRY.format(id="inheritance-a", cat="inheritance", q="遗嘱怎么写", signoff=""),
    ])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mixed.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def signoff_kb(tmp_path: Path, settings: object) -> Iterator[Path]:
    from app.consult import engine

    folder = write_kb(tmp_path / "kb")
    engine.use_folder(folder)
    yield folder
    engine.use_folder(None)


async def test_admin_sees_entries_awaiting_signoff_by_category(client: httpx.AsyncClient, signoff_kb: Path) -> None:
    await make_staff(username="admin", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    await login(client, "admin")
    page = await client.get("/console/kb/signoff", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    text = page.text
    assert "共 4 条，已由律师签核 1 条，待律师签核 3 条" in text
    assert "<tr><td>婚姻家庭</td><td>3</td><td>1</td>" in text and "<tr><td>继承</td><td>1</td><td>0</td>" in text
    assert "知识库签核" in text  # in the district navigation
    one = await client.get("/console/kb/signoff?category=marriage_family", headers=HTML)
    assert "婚姻家庭：待律师签核 2 条" in one.text
    assert "marriage_family-b" in one.text and "marriage_family-c" in one.text
    assert "marriage_family-a" not in one.text and "inheritance-a" not in one.text


async def test_signoff_page_needs_a_reviewing_role(client: httpx.AsyncClient, app: Any, signoff_kb: Path) -> None:
    assert (await client.get("/console/kb/signoff", headers=HTML)).status_code in (302, 303, 307)  # to login
    await make_staff(username="clerk")
    await login(client, "clerk")
    assert (await client.get("/console/kb/signoff", headers=HTML)).status_code == 403
    await make_staff(username="lawyer", role=Role.LAWYER)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as other:
        await login(other, "lawyer")
        assert (await other.get("/console/kb/signoff", headers=HTML)).status_code == 200


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", "kb", "signoff-status", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_signoff_status_command(tmp_path: Path) -> None:
    folder = write_kb(tmp_path / "kb")
    out = run_cli(str(folder), "--list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.split() == ["婚姻家庭", "3", "1", "2"] for line in lines), out.stdout
    assert any(line.split() == ["继承", "1", "0", "1"] for line in lines), out.stdout
    assert "marriage_family-b  彩礼能退吗" in out.stdout and "marriage_family-a  " not in out.stdout
    assert "合计 4 条：已由律师签核 1 条，待律师签核 3 条" in out.stdout
    data = json.loads(run_cli(str(folder), "--json").stdout)
    by_cat = {c["category"]: c for c in data["categories"]}
    assert by_cat["marriage_family"]["awaiting"] == ["marriage_family-b", "marriage_family-c"]
    assert by_cat["inheritance"]["signed"] == 0 and "traffic" not in by_cat
    (folder / "broken.toml").write_text("[[entry]\n", encoding="utf-8")
    bad = run_cli(str(folder))
    assert bad.returncode == 1 and "fawu kb check" in bad.stderr


def test_content_kb_has_no_unsigned_claims() -> None:
    """Every entry's first review is the content team's; no lawyer sign-off is claimed without a name and date."""
    from app.consult.kb import load_kb

    entries = load_kb(ROOT / "content" / "kb").entries
    assert entries and all(e.reviewer for e in entries)
    assert all(e.signoff_date is not None for e in entries if e.signoff_by)
    assert not any("司法局" in e.reviewer and "初审" in e.reviewer for e in entries)
