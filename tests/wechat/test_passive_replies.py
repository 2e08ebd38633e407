"""Passive replies WeChat accepts (issue 27 §8): control characters stripped, the XML checked before it
leaves, 19-digit MsgIds kept, long texts cut between grapheme clusters; the simulator calls a reply
WeChat would refuse an error."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from app.wechat import replies
from app.wechat.models import InboundMessage
from app.wechat.replies import CONTINUED, split_text
from tests.wechat.helpers import COMPAT, FAMILY, PLAIN, SAFE, sim


@pytest.mark.parametrize("key", [PLAIN, SAFE])
async def test_control_characters_from_the_model_never_break_the_reply(client, key) -> None:
    res = await sim(client, key).text("o_ctrl_" + key, "ZZT-ctrl")
    assert res.error is None and res.status == 200
    assert res.text == "第一条建议：先协商。再申请仲裁。"
    row = await InboundMessage.get(openid="o_ctrl_" + key)
    assert row.reply_text == "第一条建议：先协商。再申请仲裁。"


async def test_a_reply_that_fails_the_check_becomes_the_polite_fallback(client, monkeypatch) -> None:
    real = replies._render

    def broken(acc, openid, reply, *, after_message):  # type: ignore[no-untyped-def]
        xml, text = real(acc, openid, reply, after_message=after_message)
        return (xml.replace("<Content>", "<Content><b>", 1) if "回声" in xml else xml), text

    monkeypatch.setattr(replies, "_render", broken)
    res = await sim(client, PLAIN).text("o_broken", "ZZT-echo 你好")
    assert res.error is None and "12348" in (res.text or "")


async def test_nineteen_and_twenty_digit_msgids_are_kept(client) -> None:
    s = sim(client, PLAIN)
    for i, msg_id in enumerate((9_999_999_999_999_999_999, 18_446_744_073_709_551_615)):
        xml = s.text_xml(f"o_bigid_{i}", "ZZT-echo 大编号", msg_id=msg_id)
        first = await s.post(xml)
        retry = await s.post(xml)  # WeChat's retry: recognised by the MsgId, answered from the store
        assert first.text == retry.text == "回声：大编号"
        rows = await InboundMessage.filter(openid=f"o_bigid_{i}")
        assert [r.msg_id for r in rows] == [str(msg_id)]


def _graphemes(s: str) -> list[str]:
    return regex.findall(r"\X", s)


async def test_a_long_emoji_reply_is_cut_between_grapheme_clusters(client, emulator, drain_jobs) -> None:
    s = sim(client, COMPAT)
    openid = "o_emoji"
    emulator.interact(emulator.add_follower(emulator.by_key(COMPAT), openid=openid), "message")
    res = await s.text(openid, "ZZT-emoji")
    assert res.error is None and res.text is not None
    await drain_jobs()
    later = [m["text"]["content"] for m in emulator.sent.get("custom", []) if m["openid"] == openid]
    parts = [res.text, *later]
    assert len(parts) >= 4
    for p in parts:
        assert len(p.encode("utf-8")) <= 2048
        body = p.removesuffix(CONTINUED)
        assert not body.startswith(("\u200d", "\U0001F1E8\U0001F1F3"[1])), body[:5]
        assert set(_graphemes(body)) <= {"家", FAMILY, "🇨🇳"}
    whole = "".join(p.removesuffix(CONTINUED) for p in parts)
    assert whole == "家" + FAMILY * 300 + "🇨🇳" * 40


PIECES = ["家", "a", FAMILY, "🇨🇳", "e\u0301", "👍🏽", "😀"]  # no line ends: the cut falls anywhere


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=30, max_size=400), st.integers(min_value=200, max_value=600))
def test_split_text_keeps_every_cluster_whole(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    parts = split_text(text, limit)
    assert all(len(p.encode("utf-8")) <= limit for p in parts)
    for p in parts:  # each part on its own shows whole clusters only
        assert set(_graphemes(p.removesuffix(CONTINUED))) <= set(PIECES)
    kept = _graphemes("".join(p.removesuffix(CONTINUED) for p in parts))
    # only whitespace at the cuts may go (stripped line ends); every cluster arrives whole
    assert [g for g in kept if not g.isspace()] == [g for g in _graphemes(text) if not g.isspace()]
