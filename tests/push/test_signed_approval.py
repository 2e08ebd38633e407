"""Approving a push article with the reviewer's personal SM2 signature (issue 26 §3), over HTTP:
required by ``signed_actions``, refused without the PIN, verified in the audit entry."""

from __future__ import annotations

from typing import Any

from app.config import set_settings
from app.push import service
from app.push.models import PushArticle
from app.staff import signing
from app.staff.models import AuditLog
from tests.conftest import make_settings
from tests.console.conftest import login, session_csrf
from tests.push.conftest import make_team

HTML = {"accept": "text/html"}
PIN = "lead-signing-pin-1"


async def test_a_signed_approval(push_ready: None, new_client: Any) -> None:
    set_settings(make_settings(signed_actions=["push.approved"]))
    team = await make_team(with_passwords=True)
    lib = await PushArticle.get(slug="wage-arrears")
    art = await service.adopt_article(actor=team.clerk, article_id=lib.id)
    await service.submit(actor=team.clerk, article_id=art.id)
    lead = new_client()
    await login(lead, "yxjd_lead")
    page = await lead.get(f"/console/push/{art.id}", headers=HTML)
    assert 'name="pin"' in page.text and "必填" in page.text
    r = await lead.post("/console/signing", headers=HTML, data={"csrf_token": await session_csrf(lead), "pin": PIN,
                                                                 "confirm": PIN})
    assert r.status_code == 303
    r = await lead.post(f"/console/push/{art.id}/approve", headers=HTML,
                        data={"csrf_token": await session_csrf(lead), "pin": "not-my-pin-9"})
    assert (await PushArticle.get(id=art.id)).status == "submitted"  # refused: not approved
    page = await lead.get(r.headers["location"], headers=HTML)
    assert "签名口令不正确" in page.text
    r = await lead.post(f"/console/push/{art.id}/approve", headers=HTML,
                        data={"csrf_token": await session_csrf(lead), "pin": PIN})
    assert (await PushArticle.get(id=art.id)).status == "township_ok"
    entry = await AuditLog.get(action="push.approved")
    assert entry.actor_name == "街道负责人" and entry.detail["step"] == "township"
    assert entry.detail["signature"]["key"] and await signing.verify_entry(entry) is True
    set_settings(None)
