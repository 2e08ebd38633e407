"""Forged callbacks (issue 27 §2): a compat account takes only what WeChat sends it (the ciphertext under
its msg_signature), and every (timestamp, nonce) carries one message whatever the mode."""

from __future__ import annotations

import pytest

from app.wechat.models import InboundMessage
from tests.wechat.helpers import COMPAT, PLAIN, SAFE, sim


async def _cases_of(openid: str) -> int:
    from app.cases.models import Case
    from app.residents.models import ResidentAccount

    links = await ResidentAccount.filter(openid=openid).values_list("resident_id", flat=True)
    return await Case.filter(resident_id__in=list(links)).count() if links else 0


async def test_the_compat_forgery_from_the_sweep_is_refused(client) -> None:
    """A genuine encrypted message to yx_taoyuan is accepted; its signature/timestamp/nonce reused with
    encrypt_type dropped and a forged plaintext "转人工" as another openid is refused, and nothing is
    stored or opened for the victim."""
    s = sim(client, COMPAT)
    genuine = s.text_xml("o_real_resident", "ZZT-echo 我要咨询", msg_id=8_100_001)
    params, body = s.sign(genuine)
    r1 = await client.post(f"/wechat/{COMPAT}", params=params, content=body)
    assert r1.status_code == 200 and "Encrypt" in r1.text

    forged = s.text_xml("o_victim_taoyuan", "转人工", msg_id=8_100_002)
    attack = {k: v for k, v in params.items() if k not in ("encrypt_type", "msg_signature")}
    r2 = await client.post(f"/wechat/{COMPAT}", params=attack, content=forged.encode())
    assert r2.status_code == 403
    # the same with the genuine ciphertext and msg_signature kept beside the forged plaintext
    forged_compat = forged.replace("</xml>", body.decode()[body.decode().index("<Encrypt>"):])
    r3 = await client.post(f"/wechat/{COMPAT}", params=params, content=forged_compat.encode())
    assert r3.status_code == 403
    assert not await InboundMessage.filter(openid="o_victim_taoyuan").exists()
    assert await _cases_of("o_victim_taoyuan") == 0


async def test_compat_account_refuses_a_freshly_signed_plaintext(client) -> None:
    """`signature` alone covers no body: a compat account never takes plaintext on it."""
    s = sim(client, COMPAT)
    res = await s.post(s.text_xml("o_cp", "ZZT-echo 明文"), mode="plain")
    assert res.status == 403
    assert not await InboundMessage.filter(openid="o_cp").exists()


async def test_compat_plaintext_fields_must_match_the_ciphertext(client) -> None:
    s = sim(client, COMPAT)
    params, body = s.sign(s.text_xml("o_cp_a", "ZZT-echo 原文", msg_id=8_100_010))
    tampered = body.decode().replace("ZZT-echo 原文", "ZZT-echo 篡改")
    r = await client.post(f"/wechat/{COMPAT}", params=params, content=tampered.encode())
    assert r.status_code == 403
    ok = await client.post(f"/wechat/{COMPAT}", params=params, content=body)
    assert ok.status_code == 200  # the untampered original (nothing was stored for the refusal)


@pytest.mark.parametrize("key", [SAFE, COMPAT, PLAIN])
async def test_a_timestamp_and_nonce_carry_one_message_in_every_mode(client, key) -> None:
    """A second, otherwise valid message signed with a spent (timestamp, nonce) is refused; WeChat's retry
    of the first (the same request) still gets the stored answer."""
    s = sim(client, key)
    first = s.text_xml("o_spend_" + key, "ZZT-echo 第一条", msg_id=8_200_001)
    p1, b1 = s.sign(first, nonce="spent1")
    r1 = await client.post(f"/wechat/{key}", params=p1, content=b1)
    assert r1.status_code == 200
    retry = await client.post(f"/wechat/{key}", params=p1, content=b1)
    assert retry.status_code == 200 and (retry.text == r1.text or key != PLAIN)
    second = s.text_xml("o_spend_" + key, "ZZT-echo 第二条", msg_id=8_200_002)
    p2, b2 = s.sign(second, nonce="spent1", timestamp=int(p1["timestamp"]))
    r2 = await client.post(f"/wechat/{key}", params=p2, content=b2)
    assert r2.status_code == 403
    assert await InboundMessage.filter(openid="o_spend_" + key).count() == 1


async def test_a_known_msgid_with_another_body_does_not_get_its_stored_reply(client) -> None:
    """A forged body reusing a stored MsgId (and a spent signature) is refused, not served the stored reply."""
    s = sim(client, PLAIN)
    p1, b1 = s.sign(s.text_xml("o_owner", "ZZT-echo 私事", msg_id=8_300_001), nonce="n8300")
    assert (await client.post(f"/wechat/{PLAIN}", params=p1, content=b1)).status_code == 200
    forged = s.text_xml("o_snoop", "ZZT-echo 私事", msg_id=8_300_001)
    r = await client.post(f"/wechat/{PLAIN}", params=p1, content=forged.encode())
    assert r.status_code == 403 and "私事" not in r.text
