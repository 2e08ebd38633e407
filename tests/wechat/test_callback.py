"""The callback over real HTTP: URL verification and messages in plain, compat and safe mode."""

from __future__ import annotations

import pytest

from app.wechat.models import InboundMessage
from tests.wechat.helpers import COMPAT, PLAIN, SAFE, sim

MODES = [PLAIN, COMPAT, SAFE]


@pytest.mark.parametrize("key", MODES)
async def test_url_verification_every_mode(client, key) -> None:
    s = sim(client, key)
    status, body, expected = await s.verify_url()
    assert (status, body) == (200, expected)


async def test_url_verification_plain_echostr_on_aes_account(client) -> None:
    status, body, expected = await sim(client, SAFE).verify_url(encrypted=False)
    assert (status, body) == (200, expected)


async def test_url_verification_refusals(client) -> None:
    s = sim(client, SAFE)
    r = await client.get(f"/wechat/{SAFE}", params={"signature": "0" * 40, "timestamp": "1", "nonce": "n",
                                                    "echostr": "x"})
    assert r.status_code == 403
    import time

    from app.wechat import crypto

    ts = str(int(time.time()))
    enc = s.crypto.encrypt("hello")
    r = await client.get(f"/wechat/{SAFE}", params={"signature": crypto.sign(s.account.token, ts, "n"),
                                                    "timestamp": ts, "nonce": "n", "echostr": enc,
                                                    "msg_signature": "f" * 40})
    assert r.status_code == 403
    r = await client.get("/wechat/nosuch", params={"signature": "x", "timestamp": ts, "nonce": "n", "echostr": "x"})
    assert r.status_code == 404
    r = await client.get("/wechat/miniprogram", params={"echostr": "x"})
    assert r.status_code == 404


@pytest.mark.parametrize("key", MODES)
async def test_text_reply_every_mode(client, key) -> None:
    s = sim(client, key)
    res = await s.text("o_mode_" + key, "ZZT-echo 你好")
    assert res.status == 200
    assert res.text == "回声：你好"
    assert res.encrypted_reply is (key != PLAIN)
    assert res.reply["ToUserName"] == "o_mode_" + key
    assert res.reply["FromUserName"] == s.account.original_id
    row = await InboundMessage.get(account_key=key, openid="o_mode_" + key)
    assert row.text == "ZZT-echo 你好" and row.status == "done" and row.resident_id is not None
    assert row.reply_text == "回声：你好"


async def test_voice_recognition_is_text(client) -> None:
    res = await sim(client, PLAIN).voice("o_voice", "ZZT-echo 语音")
    assert res.text == "回声：语音"


async def test_handler_error_answers_politely(client) -> None:
    res = await sim(client, PLAIN).text("o_boom", "ZZT-boom")
    assert res.status == 200 and "12348" in (res.text or "")


async def test_metrics_count_outcomes(client) -> None:
    s = sim(client, PLAIN)
    xml = s.text_xml("o_metrics", "ZZT-echo m")
    await s.post(xml)
    await s.post(xml)
    await client.post(f"/wechat/{PLAIN}", content=b"<xml/>")
    text = (await client.get("/metrics")).text
    for outcome in ("handled", "duplicate", "rejected"):
        assert f'fawu_wechat_messages_total{{account="{PLAIN}",outcome="{outcome}"}}' in text
