"""The statute corpus: parsing, import (idempotent), lookup by law and article, search, the /laws page."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.laws.parse import article_label, cn_to_int, int_to_cn, parse_article_label, parse_folder
from tests.conftest import ROOT

LAWS_DIR = ROOT / "content" / "laws"
needs_corpus = pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"law corpus not present at {LAWS_DIR}")
SUBSET = ["社会法_劳动合同法(2012-12-28).md", "行政法_法律援助法(2021-08-20).md", "民法典_总则.md",
          "民法典_婚姻家庭编.md", "民法典_继承编.md", "刑法_刑法.md",
          "司法解释_最高人民法院关于适用《民法典》婚姻家庭编的解释（一）(2020-12-29).md"]


def test_chinese_numerals_round_trip() -> None:
    for n in (1, 9, 10, 11, 19, 20, 82, 100, 101, 105, 110, 119, 1000, 1001, 1010, 1079, 1260):
        assert cn_to_int(int_to_cn(n)) == n
    assert int_to_cn(1079) == "一千零七十九"
    assert int_to_cn(110) == "一百一十"
    assert parse_article_label("第八十二条") == (82, 0)
    assert parse_article_label("第82条") == (82, 0)
    assert parse_article_label("第一百三十三条之一") == (133, 1)
    assert article_label(133, 1) == "第一百三十三条之一"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    if not LAWS_DIR.is_dir():
        pytest.skip(f"law corpus not present at {LAWS_DIR}")
    for name in SUBSET:
        shutil.copy(LAWS_DIR / name, tmp_path / name)
    (tmp_path / "README.md").write_text("# not a law\n", encoding="utf-8")
    return tmp_path


def test_parse_merges_the_civil_code_and_keeps_the_latest_date(corpus: Path) -> None:
    laws = parse_folder(corpus)
    assert set(laws) >= {"劳动合同法", "法律援助法", "民法典", "刑法",
                         "最高人民法院关于适用《民法典》婚姻家庭编的解释（一）"}
    code = laws["民法典"]
    numbers = {a.number for a in code.articles}
    assert {1, 1079, 1127} <= numbers
    assert laws["劳动合同法"].date == dt.date(2012, 12, 28)
    assert laws["劳动合同法"].name == "中华人民共和国劳动合同法"
    a82 = next(a for a in laws["劳动合同法"].articles if a.number == 82)
    assert "二倍的工资" in a82.text and a82.chapter.startswith("第七章")
    assert any(a.sub == 1 and a.number == 133 for a in laws["刑法"].articles)


async def test_import_is_idempotent_and_lookup_works(db: None, corpus: Path) -> None:
    from app.laws import service
    from app.laws.models import Article, Law

    first = await service.import_folder(folder=corpus)
    assert first.created == first.laws == 5
    n_articles = await Article.all().count()
    again = await service.import_folder(folder=corpus)
    assert again.created == 0 and again.updated == 5
    assert await Article.all().count() == n_articles == first.articles
    assert await Law.filter(short_name="民法典").count() == 1

    for query in ("劳动合同法第八十二条", "劳动合同法第82条", "劳动合同法82条", "《中华人民共和国劳动合同法》第八十二条"):
        assert await service.parse_lookup(query) == ("劳动合同法", 82, 0), query
    assert await service.parse_lookup("民法典1079条") == ("民法典", 1079, 0)
    assert await service.parse_lookup("今天第一条消息") is None
    view = await service.get_article(law="民法典", article="第1079条")
    assert view.label == "第一千零七十九条" and "离婚" in view.text
    assert view.date == dt.date(2021, 1, 1)
    assert "（2021-01-01 版本）" in view.as_text()
    with pytest.raises(service.ArticleNotFound):
        await service.get_article(law="劳动合同法", article="第九百条")
    with pytest.raises(service.LawNotFound):
        await service.get_article(law="婚姻法", article="第三十二条")
    found = await service.search(words=["二倍的工资"], limit=3)
    assert found and found[0].law == "劳动合同法"


async def test_residents_look_articles_up_on_wechat(db: None, corpus: Path, settings: Any) -> None:
    from app import wiring
    from app.laws import service
    from app.wechat.router import Inbound, TextReply, router

    await service.import_folder(folder=corpus)
    wiring.load_inbound()

    async def say(text: str) -> str:
        reply = await router.dispatch(Inbound(account_key="demo", openid="o-laws", kind="text", text=text))
        assert isinstance(reply, TextReply)
        return reply.content

    out = await say("劳动合同法第八十二条")
    assert out.startswith("《劳动合同法》第八十二条（2012-12-28 版本）") and "二倍的工资" in out
    assert "第一千零七十九条" in await say("民法典1079条")
    assert "没有第九百条" in await say("劳动合同法第900条")
    out = await say("查 拖欠工资 法条")
    assert "有关的法条" in out and "《" in out


async def test_laws_page_and_json(client: Any, corpus: Path) -> None:
    from app.laws import service

    await service.import_folder(folder=corpus)
    r = await client.get("/laws", params={"q": "劳动合同法第82条"})
    assert r.status_code == 200
    assert "二倍的工资" in r.text and "2012-12-28" in r.text
    r = await client.get("/api/laws/article", params={"law": "民法典", "article": "1079"})
    assert r.json()["article"] == "第一千零七十九条"
    r = await client.get("/api/laws/article", params={"law": "民法典", "article": "第九千条"})
    assert r.status_code == 404 and "没有" in r.text
    r = await client.get("/api/laws/search", params={"q": "人身安全保护令"})
    assert r.status_code == 200


def _migrate_or_skip(database_url: str) -> None:
    """Apply the project's migrations to a scratch database; skip when they do not apply (not ours)."""
    import asyncio

    from app import db
    from app.config import load_settings

    if not any("laws_law" in p.read_text(encoding="utf-8", errors="ignore")
               for p in (ROOT / "app" / "migrations").glob("*.py")):
        pytest.skip("no migration creates laws_law yet (the lead generates them)")

    async def go() -> None:
        try:
            await db.migrate(load_settings(env={"FAWU_DATABASE_URL": database_url}))
        finally:
            await db.close_db()

    try:
        asyncio.run(go())
    except Exception as exc:
        pytest.skip(f"the project's migrations do not apply (tests/core/test_migrations reports it): {exc}")


@needs_corpus
def test_fawu_laws_import_command(tmp_path: Path, corpus: Path) -> None:
    import os

    env_db = f"sqlite://{tmp_path}/cli.sqlite3"
    _migrate_or_skip(env_db)
    env = {**os.environ, "FAWU_DATABASE_URL": env_db, "FAWU_DEMO_AUTOLOAD": "false"}
    for _ in range(2):
        r = subprocess.run([sys.executable, "-m", "app.cli", "laws", "import", str(corpus)], capture_output=True,
                           text=True, cwd=ROOT, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
    assert "法规 5 部（新增 0，更新 5）" in r.stdout
