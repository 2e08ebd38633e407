"""Personal SM2 signatures (issue 26 §3): a staff member generates a key protected by their signing
PIN in the console, signs a case's closure with it (required by ``signed_actions``), and the audit
administrator sees the signature verified; altered or moved signatures fail the check."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from app.config import set_settings
from app.core.actor import Role
from app.staff import service as staff_service
from app.staff import signing
from app.staff.models import AuditLog, SigningKey
from tests.conftest import make_settings
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import PASSWORD, make_case, make_staff

PIN = "my-signing-pin-7"


async def _post(client: httpx.AsyncClient, path: str, page: str, **data: str) -> httpx.Response:
    token = csrf_of((await client.get(page, headers=HTML)).text)
    return await client.post(path, headers=HTML, data={"csrf_token": token, **data})


async def test_enrol_sign_a_closure_and_verify_it_in_the_audit_view(client: httpx.AsyncClient, new_client: Any) -> None:
    set_settings(make_settings(signed_actions=["case.closed"]))
    await make_staff(username="clerk")
    await make_staff(username="auditor", role=Role.AUDIT_ADMIN, unit_codes=["YX"])
    case = await make_case()
    assert (await login(client, "clerk")).status_code == 303
    await _post(client, f"/console/cases/{case.id}/take", f"/console/cases/{case.id}")
    page = await client.get(f"/console/cases/{case.id}", headers=HTML)
    assert 'name="pin"' in page.text and "必填" in page.text

    # without a key the signed action is refused, the case stays open
    r = await _post(client, f"/console/cases/{case.id}/close", f"/console/cases/{case.id}", reason="重复登记", pin=PIN)
    assert r.status_code == 400 and "请先在“个人签名”页面生成签名密钥" in r.text

    # enrolment: the PIN may not be the password, both entries must match
    r = await _post(client, "/console/signing", "/console/signing", pin=PASSWORD, confirm=PASSWORD)
    assert r.status_code == 400 and "不能与登录密码相同" in r.text
    r = await _post(client, "/console/signing", "/console/signing", pin=PIN, confirm=PIN + "x")
    assert r.status_code == 400
    r = await _post(client, "/console/signing", "/console/signing", pin=PIN, confirm=PIN)
    assert r.status_code == 303
    key = await SigningKey.get(active=True)
    page = await client.get("/console/signing", headers=HTML)
    assert key.fingerprint in page.text
    assert key.private_enc.startswith("sm4:") and PIN not in key.private_enc  # wrapped twice, never in the clear

    # a missing or wrong PIN: refused and recorded, the case stays open
    r = await _post(client, f"/console/cases/{case.id}/close", f"/console/cases/{case.id}", reason="重复登记")
    assert r.status_code == 401 and "签名口令不正确" in r.text
    r = await _post(client, f"/console/cases/{case.id}/close", f"/console/cases/{case.id}", reason="重复登记",
                    pin="wrong-pin-000")
    assert r.status_code == 401
    assert await AuditLog.filter(action="sign.failed", outcome="failed").count() == 1
    assert not await AuditLog.filter(action="case.closed").exists()
    # the right PIN: closed, signed
    r = await _post(client, f"/console/cases/{case.id}/close", f"/console/cases/{case.id}", reason="重复登记", pin=PIN)
    assert r.status_code == 303, r.text[:300]
    entry = await AuditLog.get(action="case.closed")
    sig = entry.detail["signature"]
    assert sig["alg"] == "SM2-with-SM3" and sig["key"] == key.fingerprint and '"reason":"重复登记"' in sig["msg"]
    assert await signing.verify_entry(entry) is True

    # the audit administrator sees it verified
    auditor = new_client()
    await login(auditor, "auditor")
    view = await auditor.get("/console/audit?kind=case", headers=HTML)
    assert "办结案件" in view.text and f"SM2 签名有效（密钥 {key.fingerprint}）" in view.text

    # an altered signed text, or a signature moved onto another entry, fails the check
    altered = copy.deepcopy(entry)
    altered.detail["signature"]["msg"] = sig["msg"].replace("重复登记", "已解决")
    assert await signing.verify_entry(altered) is False
    moved = copy.deepcopy(entry)
    moved.target_id = str(case.id + 1)
    assert await signing.verify_entry(moved) is False
    forged = copy.deepcopy(entry)
    forged.detail["signature"]["sig"] = sig["sig"][:-2] + ("00" if sig["sig"][-2:] != "00" else "11")
    assert await signing.verify_entry(forged) is False

    # a new key retires the old one; the old signature still verifies
    r = await _post(client, "/console/signing", "/console/signing", pin=PIN + "2", confirm=PIN + "2")
    assert r.status_code == 303
    assert await SigningKey.filter(active=True).count() == 1 and await signing.verify_entry(entry) is True
    auditor_actor = await staff_service.actor_for(await staff_service.find_by_username("auditor"))  # type: ignore[arg-type]
    assert (await staff_service.verify_audit(actor=auditor_actor)).ok
    set_settings(None)


async def test_closing_without_required_signature_stays_unsigned_by_default(client: httpx.AsyncClient) -> None:
    await make_staff(username="clerk")
    case = await make_case()
    await login(client, "clerk")
    await _post(client, f"/console/cases/{case.id}/take", f"/console/cases/{case.id}")
    r = await _post(client, f"/console/cases/{case.id}/close", f"/console/cases/{case.id}", reason="重复登记")
    assert r.status_code == 303
    entry = await AuditLog.get(action="case.closed")
    assert "signature" not in entry.detail and await signing.verify_entry(entry) is None


async def test_giving_a_result_is_signed_when_required(client: httpx.AsyncClient) -> None:
    """The result told to the resident is the case's decisive act: with ``case.result_given`` in
    ``signed_actions`` it needs the clerk's PIN, and the signature covers the result's text."""
    from app.cases.models import Case

    set_settings(make_settings(signed_actions=["case.result_given"]))
    try:
        await make_staff(username="clerk")
        case = await make_case()
        assert (await login(client, "clerk")).status_code == 303
        await _post(client, f"/console/cases/{case.id}/take", f"/console/cases/{case.id}")
        page = await client.get(f"/console/cases/{case.id}", headers=HTML)
        assert 'id="result-form"' in page.text and "签名口令（个人 SM2 签名，必填）" in page.text
        await _post(client, "/console/signing", "/console/signing", pin=PIN, confirm=PIN)
        result = "已协助申请劳动仲裁，仲裁委已受理"
        r = await _post(client, f"/console/cases/{case.id}/result", f"/console/cases/{case.id}", text=result,
                        told="phone")
        assert r.status_code == 401 and "签名口令不正确" in r.text
        assert (await Case.get(id=case.id)).result_text is None  # nothing recorded without the signature
        r = await _post(client, f"/console/cases/{case.id}/result", f"/console/cases/{case.id}", text=result,
                        told="phone", pin=PIN)
        assert r.status_code == 303, r.text[:300]
        assert (await Case.get(id=case.id)).result_text == result
        entry = await AuditLog.get(action="case.result_given")
        assert entry.target_id == str(case.id) and result in entry.detail["signature"]["msg"]
        assert await signing.verify_entry(entry) is True
    finally:
        set_settings(None)


def test_a_deployment_signs_every_significant_action_unless_told_otherwise() -> None:
    from app.config import SIGNED_ACTIONS, load_settings

    assert load_settings(env={"FAWU_DEMO": "false"}).signed_actions == list(SIGNED_ACTIONS)
    assert load_settings(env={}).signed_actions == []  # the demo signs only when a PIN is given
    assert load_settings(env={"FAWU_DEMO": "false", "FAWU_SIGNED_ACTIONS": "case.closed"}).signed_actions == [
        "case.closed"]
