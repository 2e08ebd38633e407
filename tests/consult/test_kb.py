"""The knowledge-base files: validation (``fawu kb check``) and citations against the law corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.consult.kb import check_kb, load_kb
from tests.conftest import ROOT
from tests.consult.conftest import FIXTURE_KB

CONTENT_KB = ROOT / "content" / "kb"
LAWS_DIR = ROOT / "content" / "laws"


def test_content_kb_is_valid() -> None:
    problems = check_kb(CONTENT_KB)
    assert problems == [], "\n".join(map(str, problems))


def test_fixture_kb_is_valid() -> None:
    loaded = load_kb(FIXTURE_KB)
    assert loaded.problems == []
    assert len(loaded.entries) >= 10


BAD = '''
[[entry]]
id = "labor-a"
category = "labor"
question = "问题一"
answer = "请拨打 12348。"
statutes = [{ law = "劳动合同法", article = "第三十条" }]
service = "advisor"
reviewer = "某人"
review_date = 2026-11-20

[[entry]]
id = "labor-a"
category = "labor"
question = "重复的 id"
answer = "请咨询律师。"
statutes = [{ law = "劳动合同法", article = "第三十条" }]
service = "advisor"
reviewer = "某人"
review_date = 2026-11-20

[[entry]]
id = "marriage-old-law"
category = "marriage"
question = "引用旧法"
answer = "去法院。"
statutes = [{ law = "婚姻法", article = "第三十二条" }, { law = "民法典", article = "第1079条" }]
service = "somewhere"
reviewer = "某人"
review_date = 2026-11-20

[[entry]]
id = "labor-no-date"
category = "labor"
question = "缺审核日期"
answer = "请拨打 12348。"
statutes = [{ law = "《中华人民共和国劳动合同法》", article = "第八十二条" }]
service = "advisor"
reviewer = "某人"
'''


def test_check_reports_each_problem_with_file_line_and_id(tmp_path: Path) -> None:
    (tmp_path / "labor.toml").write_text(BAD, encoding="utf-8")
    (tmp_path / "broken.toml").write_text("[[entry]\nid = 1", encoding="utf-8")
    problems = [str(p) for p in check_kb(tmp_path)]
    text = "\n".join(problems)
    assert "labor.toml:13 [labor-a]: id 重复" in text
    assert "[marriage-old-law]: 未知类别 'marriage'" in text
    assert "已废止的《婚姻法》" in text
    assert "条号格式错误：'第1079条'" in text
    assert "未知服务代码 'somewhere'" in text
    assert "答复须提示何时咨询律师或拨打 12348" in text
    assert "labor.toml:33 [labor-no-date]: 缺少必填字段 review_date" in text
    assert "broken.toml: TOML 格式错误" in text
    # the full name of a law is accepted and shortened
    ok = load_kb(tmp_path).entries
    assert [e.id for e in ok] == ["labor-a"]


def test_kb_check_command(tmp_path: Path) -> None:
    (tmp_path / "labor.toml").write_text(BAD, encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "app.cli", "kb", "check", str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT)
    assert bad.returncode == 1
    assert "id 重复" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "app.cli", "kb", "check", str(FIXTURE_KB)], capture_output=True,
                          text=True, cwd=ROOT)
    assert good.returncode == 0, good.stderr
    assert "0 个问题" in good.stdout


@pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"law corpus not present at {LAWS_DIR}")
@pytest.mark.parametrize("folder", [CONTENT_KB, FIXTURE_KB], ids=["content", "fixture"])
def test_every_cited_article_exists_in_the_corpus(folder: Path) -> None:
    from app.laws.parse import parse_article_label, parse_folder

    corpus = parse_folder(LAWS_DIR)
    articles = {name: {(a.number, a.sub) for a in law.articles} for name, law in corpus.items()}
    missing = []
    for e in load_kb(folder).entries:
        for s in e.statutes:
            if s.law not in articles:
                missing.append(f"{e.file}:{e.line} [{e.id}] 法规库中没有《{s.law}》")
            elif parse_article_label(s.article) not in articles[s.law]:
                missing.append(f"{e.file}:{e.line} [{e.id}] 《{s.law}》没有{s.article}")
    assert not missing, "\n".join(missing)
