"""The anonymisation check: phone and ID numbers and full names refuse publication; pseudonyms pass."""

from __future__ import annotations

import pytest

from app.catalog.anonymise import problems

CASES_OK = [
    "包工头刘某拖欠工资，农民工代表老周到工作站求助。",
    "孙女士遭受家庭暴力；钱大爷的三个子女；小吴在餐饮店工作；黄某某拒绝支付赡养费。",
    "石桥镇人民调解委员会调解，仲裁庭审前达成协议，依据道路交通安全法。",
    "马上到周末，高兴的小王和林师傅去黄金海岸。",
]
CASES_BAD = [
    ("申请人王建国在桃源镇某工地做木工。", "王建国"),
    ("调解员周明组织双方协商。", "周明"),
    ("村民张秀英与邻居老刘发生争执。", "张秀英"),
    ("律师陈志刚代理本案。", "陈志刚"),
    ("联系电话 138 1234 5678。", "手机号"),
    ("身份证号 11010519491231002X。", "身份证号"),
    ("工资打到卡 6222 0212 3456 7890 128。", "银行卡号"),
]


@pytest.mark.parametrize("text", CASES_OK)
def test_pseudonyms_and_ordinary_words_pass(text: str) -> None:
    assert problems(text) == []


@pytest.mark.parametrize(("text", "what"), CASES_BAD)
def test_personal_data_is_refused(text: str, what: str) -> None:
    found = problems(text)
    assert found and what in found[0], found


def test_a_declared_pseudonym_passes_and_numbers_are_shown_masked() -> None:
    assert problems("李梅与王强签订借款合同。", pseudonyms=["李梅", "王强"]) == []
    assert problems("李梅与王强签订借款合同。", pseudonyms=["李梅"]) != []
    found = problems("电话13812345678")
    assert "13812345678" not in found[0] and "138****5678" in found[0]
