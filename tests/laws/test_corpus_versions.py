"""The statute corpus holds the texts in force, not the ones they replaced (issue 25), and the
knowledge base does not lean on a repealed provision."""

from __future__ import annotations

import datetime as dt

import pytest

from app.consult.kb import load_kb
from app.laws.parse import parse_folder
from tests.conftest import ROOT

LAWS_DIR = ROOT / "content" / "laws"
pytestmark = pytest.mark.skipif(not LAWS_DIR.is_dir(), reason=f"law corpus not present at {LAWS_DIR}")

# short name -> (date shown with every article = the latest history date, number of articles)
IN_FORCE = {
    "治安管理处罚法": (dt.date(2026, 1, 1), 144),  # revised 2025-06-27
    "婚姻登记条例": (dt.date(2025, 5, 10), 28),  # revised 2025-04-06
    "消费者权益保护法实施条例": (dt.date(2024, 7, 1), 53),
    "最高人民法院关于审理劳动争议案件适用法律问题的解释（二）": (dt.date(2025, 9, 1), 21),
    "最高人民法院关于审理涉彩礼纠纷案件适用法律若干问题的规定": (dt.date(2024, 2, 1), 7),
    "最高人民法院关于适用《民法典》合同编通则若干问题的解释": (dt.date(2023, 12, 5), 69),
    "村民委员会组织法": (dt.date(2026, 1, 1), 50),  # revised 2025-10-28
    "仲裁法": (dt.date(2026, 3, 1), 96),  # revised 2025-09-12
}


def test_the_corpus_holds_the_texts_in_force() -> None:
    laws = parse_folder(LAWS_DIR)
    for name, (date, count) in IN_FORCE.items():
        assert name in laws, name
        assert laws[name].date == date, (name, laws[name].date)
        assert len(laws[name].articles) == count, (name, len(laws[name].articles))
        # one file per law: a superseded text would be merged in silently and keep old articles
        assert ";" not in laws[name].source, (name, laws[name].source)
    assert "殴打他人" in next(a.text for a in laws["治安管理处罚法"].articles if a.number == 51)
    assert not list(LAWS_DIR.glob("*治安管理处罚法(2012-10-26).md"))
    assert not list(LAWS_DIR.glob("*婚姻登记条例(2003-08-08).md"))


# Provisions repealed in part: the knowledge base must not cite them for the repealed rule.
REPEALED_PROVISIONS = {
    # para. 1 (pensioners hired = service relationship) repealed from 2025-09-01 by 解释（二）art. 21
    ("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）", "第三十二条"),
}


def test_no_entry_cites_a_repealed_provision() -> None:
    cited = [(e.id, s.law, s.article) for e in load_kb(ROOT / "content" / "kb").entries for s in e.statutes]
    assert not [c for c in cited if (c[1], c[2]) in REPEALED_PROVISIONS]
