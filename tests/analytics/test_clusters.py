"""Clusters: the same employer, site or building named by several residents, however they word it,
found in one township (and not from two mentions, nor across townships), with the evidence masked."""

from __future__ import annotations

from typing import Any

import pytest

from app.analytics import service, tasks
from tests.analytics.conftest import TODAY, at_local, week_ago

pytestmark = pytest.mark.usefixtures("frozen")

HONGDA = ["宏达建筑公司拖欠我三个月工资", "我在宏达建筑干了半年活，老板不给钱，电话13812345678",
          "宏达建设工程有限公司欠薪怎么办", "宏达公司的包工头跑路了，工资谁来付"]


def test_subjects_meet_across_wordings() -> None:
    assert {frozenset(service.subjects(t)) for t in HONGDA} == {frozenset({"org:宏达"})}
    assert service.subjects("楼上漏水 幸福小区3号楼 邻居不管") == service.subjects("幸福小区 3栋楼上天天装修噪音") \
        == {"building:幸福小区3号楼"}
    assert service.subjects("一家公司不给钱") == set() and service.subjects("我们单位欠工资") == set()
    assert service.subjects("给鑫源劳务打工没拿到钱") == {"org:鑫源"}


async def _ask(text: str, township: str, community: str, client: str, category: str = "labor", day: Any = TODAY) -> None:
    from app.consult.models import Consultation

    await Consultation.create(question=text, category=category, township_code=township, community_code=community,
                              channel="wechat", client=client, created_at=at_local(day, 9))


async def test_same_employer_cluster(app: Any) -> None:
    for i, text in enumerate(HONGDA):
        await _ask(text, "YXJD", "JXSQ" if i % 2 else "BHSQ", f"c{i}", day=week_ago(i % 3))
    await _ask("宏达公司又欠我工资", "YXJD", "JXSQ", "c0")  # the same resident again: still 4 residents
    await _ask("宏达公司欠钱", "SQZ", "SQSQ", "s1")  # another township: 2 mentions, no cluster there
    await _ask("宏达建筑拖欠工资", "SQZ", "SQSQ", "s2")
    await _ask("鑫源超市卖过期食品", "YXJD", "JXSQ", "x1", category="consumer")
    await _ask("幸福小区3号楼楼上漏水", "YXJD", "WJSQ", "b1", category="tort_neighbour")
    await _ask("幸福小区 3栋楼上噪音", "YXJD", "WJSQ", "b2", category="tort_neighbour")
    await _ask("幸福小区3幢有人高空抛物", "YXJD", "WJSQ", "b3", category="tort_neighbour")
    await tasks.daily()
    from app.analytics.models import EarlyWarning

    clusters = {(w.township_code, w.subject): w for w in await EarlyWarning.filter(kind="cluster")}
    assert set(clusters) == {("YXJD", "org:宏达"), ("YXJD", "building:幸福小区3号楼")}
    w = clusters[("YXJD", "org:宏达")]
    assert w.observed == 4 and w.category == "labor" and len(w.evidence) == 5
    texts = " ".join(e["text"] for e in w.evidence)
    assert "13812345678" not in texts and "138****5678" in texts
    assert clusters[("YXJD", "building:幸福小区3号楼")].category == "tort_neighbour"
