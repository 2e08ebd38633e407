"""Bad input gets the right status, never a 500, and every refusal is counted."""

from __future__ import annotations

import time

from app.core import metrics
from app.emulator.simulator import message_xml
from app.wechat import crypto
from app.wechat.crypto import AccountCrypto
from app.wechat.models import InboundMessage
from tests.conftest import make_settings
from tests.wechat.helpers import COMPAT, PLAIN, SAFE, sim


def rejected(key: str) -> float:
    return metrics.wechat_messages.labels(key, "rejected")._value.get()


async def post(client, key, params, body: bytes):
    return await client.post(f"/wechat/{key}", params=params, content=body)


async def test_wrong_signature_403(client) -> None:
    s = sim(client, PLAIN)
    params, body = s.sign(s.text_xml("o_bad", "ZZT-echo x"))
    before = rejected(PLAIN)
    params["signature"] = "0" * 40
    assert (await post(client, PLAIN, params, body)).status_code == 403
    del params["signature"]
    assert (await post(client, PLAIN, params, body)).status_code == 403
    assert rejected(PLAIN) == before + 2
    assert not await InboundMessage.filter(openid="o_bad").exists()


async def test_wrong_msg_signature_403_even_with_good_signature(client) -> None:
    s = sim(client, SAFE)
    params, body = s.sign(s.text_xml("o_bad", "ZZT-echo x"))
    params["msg_signature"] = "0" * 40
    assert (await post(client, SAFE, params, body)).status_code == 403


async def test_unknown_account_404(client) -> None:
    s = sim(client, PLAIN)
    params, body = s.sign(s.text_xml("o_bad", "x"))
    assert (await post(client, "nosuch", params, body)).status_code == 404
    assert (await post(client, "miniprogram", params, body)).status_code == 404


async def test_timestamp_window(client, settings) -> None:
    from app.config import set_settings

    s = sim(client, PLAIN)
    old = int(time.time()) - 301
    params, body = s.sign(s.text_xml("o_ts", "ZZT-echo x"), timestamp=old)
    assert (await post(client, PLAIN, params, body)).status_code == 403
    params, body = s.sign(s.text_xml("o_ts", "ZZT-echo x"), timestamp=int(time.time()) + 400)
    assert (await post(client, PLAIN, params, body)).status_code == 403
    set_settings(make_settings(wechat_timestamp_window=0))
    params, body = s.sign(s.text_xml("o_ts", "ZZT-echo x"), timestamp=old)
    r = await post(client, PLAIN, params, body)
    assert r.status_code == 200 and "回声" in r.text


async def test_message_for_another_account_refused(client) -> None:
    s = sim(client, PLAIN)
    xml = s.text_xml("o_x", "ZZT-echo x").replace(s.account.original_id, "gh_000000000000")
    params, body = s.sign(xml)
    assert (await post(client, PLAIN, params, body)).status_code == 403


async def test_wrong_appid_in_ciphertext_refused(client) -> None:
    s = sim(client, SAFE)
    other = AccountCrypto(s.account.__class__(**{**s.account.__dict__, "appid": "wx0000000000000000"}))
    xml = s.text_xml("o_x", "ZZT-echo x")
    enc = other.encrypt(xml)
    ts, nonce = str(int(time.time())), "abc"
    params = {"signature": crypto.sign(s.account.token, ts, nonce), "timestamp": ts, "nonce": nonce,
              "encrypt_type": "aes", "msg_signature": crypto.sign(s.account.token, ts, nonce, enc)}
    body = f"<xml><ToUserName><![CDATA[{s.account.original_id}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    assert (await post(client, SAFE, params, body.encode())).status_code == 403


async def test_plaintext_to_safe_account_refused(client) -> None:
    s = sim(client, SAFE)
    params, body = s.sign(s.text_xml("o_x", "ZZT-echo x"), mode="plain")
    assert (await post(client, SAFE, params, body)).status_code == 403


async def test_malformed_and_dangerous_xml_400(client) -> None:
    s = sim(client, PLAIN)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<xml><Content>&lol2;</Content></xml>")
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>'
    doctype_only = b'<!DOCTYPE xml><xml><ToUserName>x</ToUserName></xml>'
    for body in (b"<xml><a>", b"not xml at all", b"", bomb, external, doctype_only, b"<root/>",
                 "<xml><Content>你好</Content></xml>".encode("gbk"),
                 b'<?xml version="1.0" encoding="GBK"?><xml><a>b</a></xml>'):
        params, _ = s.sign("<xml/>")
        r = await post(client, PLAIN, params, body)
        assert r.status_code == 400, body


async def test_encrypted_garbage_400(client) -> None:
    s = sim(client, COMPAT)
    ts, nonce = str(int(time.time())), "abc"
    enc = "bm90IHJlYWxseSBjaXBoZXJ0ZXh0"
    params = {"signature": crypto.sign(s.account.token, ts, nonce), "timestamp": ts, "nonce": nonce,
              "encrypt_type": "aes", "msg_signature": crypto.sign(s.account.token, ts, nonce, enc)}
    r = await post(client, COMPAT, params, f"<xml><Encrypt>{enc}</Encrypt></xml>".encode())
    assert r.status_code == 400


async def test_oversized_body_400(client, settings) -> None:
    s = sim(client, PLAIN)
    xml = s.text_xml("o_big", "ZZT-echo " + "字" * (settings.wechat_max_body_bytes // 3 + 10))
    params, body = s.sign(xml)
    assert (await post(client, PLAIN, params, body)).status_code == 400

    async def chunks():  # no Content-Length: the streamed body is capped too
        for i in range(0, len(body), 4096):
            yield body[i:i + 4096]

    r = await client.post(f"/wechat/{PLAIN}", params=params, content=chunks())
    assert r.status_code == 400


async def test_unknown_type_and_event_recorded_with_success(client) -> None:
    s = sim(client, PLAIN)
    xml = message_xml({"ToUserName": s.account.original_id, "FromUserName": "o_unk", "CreateTime": 1700000000,
                       "MsgType": "hologram", "MsgId": 99887766})
    res = await s.post(xml)
    assert res.is_success
    res = await s.event("o_unk", "brand_new_event", "k")
    assert res.is_success
    rows = await InboundMessage.filter(openid="o_unk").order_by("id")
    assert [(r.kind, r.event, r.known, r.status) for r in rows] == [
        ("hologram", None, False, "done"), ("event", "brand_new_event", False, "done")]


async def test_missing_fields_400(client) -> None:
    s = sim(client, PLAIN)
    xml = message_xml({"ToUserName": s.account.original_id, "CreateTime": 1, "MsgType": "text"})
    params, body = s.sign(xml)
    assert (await post(client, PLAIN, params, body)).status_code == 400


async def test_a_plain_signature_cannot_carry_a_second_forged_message(client) -> None:  # type: ignore[no-untyped-def]
    """`signature` covers token, timestamp and nonce only: replaying it with another body is refused,
    while WeChat's own retry of the same message still gets the stored reply."""
    from tests.wechat.helpers import PLAIN, sim

    sim_obj = sim(client, PLAIN)
    first_xml = sim_obj.text_xml("o_first", "你好", msg_id=7001)
    params, body = sim_obj.sign(first_xml, nonce="abc123")
    r1 = await client.post(f"/wechat/{PLAIN}", params=params, content=body)
    assert r1.status_code == 200
    retry = await client.post(f"/wechat/{PLAIN}", params=params, content=body)
    assert retry.status_code == 200 and retry.text == r1.text  # WeChat's retry: same answer
    forged = sim_obj.text_xml("o_victim", "转人工", msg_id=7002)
    _, forged_body = sim_obj.sign(forged, nonce="abc123", timestamp=int(params["timestamp"]))
    r3 = await client.post(f"/wechat/{PLAIN}", params=params, content=forged_body)
    assert r3.status_code == 403
    from app.wechat.models import InboundMessage

    assert not await InboundMessage.filter(openid="o_victim").exists()
