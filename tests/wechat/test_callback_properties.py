"""Property-based tests (hypothesis) of the callback's parser, crypto and whole path (issue 24 §7).

Whatever arrives, the parser returns fields or refuses with Rejected (a status and a reason), decryption
returns the plaintext or CryptoError, and the callback answers 200/400/403/404 with no stack trace: never
a 500, never anything else raised.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.emulator.simulator import message_xml
from app.matrix.service import get_matrix, load_matrix
from app.wechat import crypto
from app.wechat.crypto import AccountCrypto
from app.wechat.envelope import Rejected, inbound_from, parse_xml
from tests.conftest import ROOT
from tests.wechat.helpers import PLAIN, SAFE, sim

MATRIX = load_matrix(ROOT / "matrix_accounts")
SAFE_ACC = MATRIX.get(SAFE)

# characters XML 1.0 allows (a message field never holds the others)
xml_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"
                                 + "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r")),
                   max_size=200)
tag = st.text(string.ascii_letters, min_size=1, max_size=12)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=600))
@example(b"<?xml version='1.0' encoding='gbk'?><xml/>")
@example(b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml>&a;</xml>")
@example(b"<xml><a>" * 40)
@example(b"\xff\xfe<xml/>")
def test_parser_returns_fields_or_refuses(body: bytes) -> None:
    try:
        fields = parse_xml(body)
    except Rejected as r:
        assert r.status == 400 and r.reason
    else:
        assert isinstance(fields, dict)


@FUZZ
@given(st.dictionaries(tag, xml_text, max_size=8))
def test_parser_reads_back_what_wechat_writes(fields: dict[str, str]) -> None:
    parsed = parse_xml(message_xml(fields).encode("utf-8"))
    # CDATA keeps the text as written, except that XML normalises line ends (\r\n and \r read as \n)
    assert parsed == {k: v.replace("\r\n", "\n").replace("\r", "\n") for k, v in fields.items()}


@FUZZ
@given(st.dictionaries(st.sampled_from(["FromUserName", "ToUserName", "MsgType", "Event", "EventKey", "Content",
                                        "Recognition", "MsgId", "CreateTime"]),
                       st.one_of(xml_text, st.lists(xml_text, max_size=3), st.dictionaries(tag, xml_text, max_size=2)),
                       max_size=9))
def test_inbound_from_any_fields_is_an_inbound_or_refused(fields: dict[str, Any]) -> None:
    try:
        inbound = inbound_from(SAFE_ACC, fields)
    except Rejected as r:
        assert r.status in (400, 403)
    else:
        assert inbound.openid and inbound.kind


@FUZZ
@given(xml_text)
def test_encrypt_then_decrypt_is_the_identity(text: str) -> None:
    cr = AccountCrypto(SAFE_ACC)
    assert cr.decrypt(cr.encrypt(text)) == text


@FUZZ
@given(st.one_of(st.text(max_size=300), st.text(string.ascii_letters + string.digits + "+/=", max_size=300)))
@example("")
@example("AAAA")
def test_decrypting_garbage_is_a_crypto_error(encrypt: str) -> None:
    cr = AccountCrypto(SAFE_ACC)
    try:
        cr.decrypt(encrypt)
    except crypto.CryptoError:
        pass


@FUZZ
@given(st.binary(min_size=1, max_size=200))
def test_decrypting_a_wrong_ciphertext_is_a_crypto_error(noise: bytes) -> None:
    import base64

    cr = AccountCrypto(SAFE_ACC)
    good = base64.b64decode(cr.encrypt("<xml><a>1</a></xml>"))
    tampered = base64.b64encode(bytes(a ^ b for a, b in zip(good, noise + bytes(len(good)), strict=False))
                                + good[len(noise):]).decode()
    try:
        out = cr.decrypt(tampered)
    except crypto.CryptoError:
        return
    assert isinstance(out, str)


@FUZZ
@given(body=st.one_of(st.binary(max_size=400), xml_text.map(lambda s: s.encode("utf-8")),
                      st.dictionaries(tag, xml_text, max_size=6).map(lambda d: message_xml(d).encode("utf-8"))),
       account=st.sampled_from([PLAIN, SAFE, "no_such_account"]),
       encrypted=st.booleans())
async def test_the_callback_never_answers_500(client: Any, body: bytes, account: str, encrypted: bool) -> None:
    """Correctly signed requests (so the body is what gets tried) through the real route."""
    acc = get_matrix().get(account) or get_matrix().get(PLAIN)
    s = sim(client, acc.key)
    params, _ = s.sign("<xml></xml>", mode="plain")
    if encrypted:
        enc = s.crypto.encrypt(body.decode("utf-8", "replace"))
        params["encrypt_type"] = "aes"
        params["msg_signature"] = crypto.sign(acc.token, params["timestamp"], params["nonce"], enc)
        body = f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>".encode()
    r = await client.post(f"/wechat/{account}", params=params, content=body)
    assert r.status_code in (200, 400, 403, 404), (r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text
