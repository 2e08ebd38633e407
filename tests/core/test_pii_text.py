"""The one detector of personal numbers in free text, and the log masker built on it (property tests:
every way a resident types a phone, ID or bank card number is masked; ordinary numbers are left)."""

from __future__ import annotations

import logging
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import pii_text
from app.core.logs import JsonFormatter, TextFormatter, mask_pii

FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SEPARATORS = [" ", "-", ".", "·", "\u3000", "－", "  ", " - "[:2]]
# text around a number: Chinese and punctuation, never a digit glued to it
FILLER = st.text(alphabet="我的电话是身份证号银行卡请联系，。：:（）() 谢abc", max_size=12)


def phones() -> st.SearchStrategy[str]:
    return st.builds(lambda second, rest: "1" + second + rest, st.sampled_from("3456789"),
                     st.text(alphabet="0123456789", min_size=9, max_size=9))


def ids18() -> st.SearchStrategy[str]:
    def make(region: str, y: int, m: int, d: int, seq: str) -> str:
        body = f"{region}{y:04d}{m:02d}{d:02d}{seq}"
        return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
    return st.builds(make, st.text(alphabet="0123456789", min_size=6, max_size=6).filter(lambda r: r[0] != "0"),
                     st.integers(1930, 2025), st.integers(1, 12), st.integers(1, 28),
                     st.text(alphabet="0123456789", min_size=3, max_size=3))


def ids15() -> st.SearchStrategy[str]:
    return st.builds(lambda region, y, m, d, seq: f"{region}{y:02d}{m:02d}{d:02d}{seq}",
                     st.text(alphabet="0123456789", min_size=6, max_size=6), st.integers(30, 99),
                     st.integers(1, 12), st.integers(1, 28), st.text(alphabet="0123456789", min_size=3, max_size=3))


def cards() -> st.SearchStrategy[str]:
    def luhn_complete(body: str) -> str:
        for check in "0123456789":
            total = 0
            for i, ch in enumerate(reversed(body + check)):
                v = int(ch)
                if i % 2:
                    v = v * 2 - 9 if v > 4 else v * 2
                total += v
            if total % 10 == 0:
                return body + check
        raise AssertionError
    return st.builds(lambda n, rest: luhn_complete("62" + rest[: n - 3]), st.integers(16, 19),
                     st.text(alphabet="0123456789", min_size=16, max_size=16))


@st.composite
def typed(draw: st.DrawFn, number: str) -> str:
    """The number as a person might type it: groups with separators, full-width digits, lower-case x."""
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=4)))
    parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    text = "".join(p + (draw(st.sampled_from(SEPARATORS)) if i < len(parts) - 1 else "") for i, p in enumerate(parts))
    if draw(st.booleans()):
        text = text.translate(FULL)
    if draw(st.booleans()):
        text = text.lower()
    return text


def _digits(text: str) -> str:
    return re.sub(r"[^0-9X]", "", text.translate(str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_typed_personal_number_is_masked(data: st.DataObject) -> None:
    kind, number = data.draw(st.one_of(
        phones().map(lambda v: ("phone", v)), ids18().map(lambda v: ("id_number", v)),
        ids15().map(lambda v: ("id_number", v)), cards().map(lambda v: ("bank_card", v))))
    shown = data.draw(typed(number))
    if kind == "phone" and data.draw(st.booleans()):
        shown = data.draw(st.sampled_from(["+86", "+86 ", "86", "86-"])) + shown
    text = data.draw(FILLER) + shown + data.draw(FILLER)
    found = pii_text.find(text)
    assert [(f.kind, f.value) for f in found] == [(kind, number.upper())], text
    masked = mask_pii(text)
    assert number.upper() not in _digits(masked), masked
    hidden = {"phone": number[3:7], "id_number": number[6:12]}.get(kind, number[4:-4])
    assert hidden not in _digits(masked).replace(number[:6], "", 1), masked


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789:-/年月日号元点 ", max_size=12), FILLER)
def test_ordinary_numbers_are_left_alone(numbers: str, filler: str) -> None:
    """Dates, times, amounts and case numbers shorter than any personal number stay as typed."""
    text = filler + numbers[:10]
    if not any(pii_text.find(text)):
        assert mask_pii(text) == text


def test_forms_the_sweep_found() -> None:
    cases = {
        "138.1234.5678": "138****5678",
        "１３８１２３４５６７８": "138****5678",
        "电话 138 1234 5678 谢谢": "电话 138****5678 谢谢",
        "身份证 110105 19491231 002x": "身份证 110105********002X",
        "身份证15161019580108418 X": "身份证151610********418X",  # a final X typed apart (hypothesis found it)
        "电话13812345678 Xiao": "电话138****5678 Xiao",
        "老身份证110105491231002": "老身份证110105******002",
        "卡号 6222 0212 3456 7890 128": "卡号 6222****0128",
        "案号 20261123000012，3.5元，2026-11-23 10:30": "案号 20261123000012，3.5元，2026-11-23 10:30",
    }
    for raw, expected in cases.items():
        assert mask_pii(raw) == expected, raw


def test_log_lines_are_masked_in_both_formats() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "resident says %s", ("１３８.1234.5678",), None)
    record.request_id = "-"
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert "1234" not in line and "5678" in line


def test_protect_and_reveal_round_trip(settings: object) -> None:
    stored, enc = pii_text.protect("我的电话13812345678，请回电")
    assert stored == "我的电话138****5678，请回电" and enc and "13812345678" not in enc
    assert pii_text.reveal(stored, enc) == "我的电话13812345678，请回电"
    assert pii_text.protect("没有号码") == ("没有号码", None)
    fields, fenc = pii_text.protect_fields({"Content": "电话 13812345678", "MsgId": "1"})
    assert fields == {"Content": "电话 138****5678", "MsgId": "1"} and fenc
    assert pii_text.reveal_fields(fields, fenc)["Content"] == "电话 13812345678"
