"""One resident in the mini-program and the official account, joined by unionid as WeChat joins them
(only when both are bound to the same Open Platform account): the resident follows the district's
account (callback simulator, user/info through the emulator), logs in to the mini-program; a request
made there carries the official-account identity, so its result reaches that chat, and "查进度" in
the chat lists it. Unbound, WeChat gives no unionid and the two stay apart."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.emulator.simulator import chat_turn
from app.matrix.service import get_matrix
from tests.cases.conftest import build_team
from tests.mp_api.test_mp_api import at, mint

pytestmark = pytest.mark.db

FORM = {"kind": "mediation", "summary": "邻居装修把我家墙面弄裂了，协商不成", "name": "李阿姨", "phone": "13700002222"}


def control(emulator: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu")


async def follow(app: Any, emulator: Any, openid: str, unionid: str) -> None:
    """The resident follows 云溪司法 (the emulator knows them, with their unionid); fawu asks user/info."""
    async with control(emulator) as emu:
        await emu.post("/_control/followers", json={"account_key": "yx_district", "openid": openid,
                                                    "unionid": unionid})
        r = await chat_turn(app, get_matrix().get("yx_district"), openid=openid, kind="event", event="subscribe",
                            emulator=emu)
    assert r["status"] == 200


async def test_a_miniprogram_case_reaches_the_official_account_and_shows_in_both(
        app: Any, emulator: Any, drain_jobs: Any) -> None:
    from app.cases import service as cases_service
    from app.residents import service as residents

    await follow(app, emulator, "oDistrictLi0000000000000001", "uLiAyi")
    await drain_jobs()  # wechat.fetch_user_info: the follower's unionid
    oa = await residents.find_identity(account_key="yx_district", openid="oDistrictLi0000000000000001")
    assert oa is not None and (await residents.get_resident(oa.resident_id)).unionid == "uLiAyi"

    c = at(app)
    code = (await mint(emulator, unionid="uLiAyi"))["code"]
    r = await c.post("/api/mp/login", json={"code": code})
    assert r.json()["resident_id"] == oa.resident_id  # one resident in both
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)
    number = (await c.post("/api/mp/requests", json=FORM, headers=h)).json()["case_number"]
    case = (await cases_service.open_cases_for_resident(resident_id=oa.resident_id))[0]
    assert case.number == number and case.channel == "miniprogram"
    assert (case.account_key, case.openid) == ("yx_district", "oDistrictLi0000000000000001")

    # the same cases in both: "查进度" in the official account lists the mini-program's case
    async with control(emulator) as emu:
        reply = await chat_turn(app, get_matrix().get("yx_district"), openid="oDistrictLi0000000000000001",
                                kind="text", text="查进度", emulator=emu)
    assert number in reply["text"], reply["text"]

    # the result reaches the official account's chat (a customer-service message), not only the mini-program
    team = await build_team()
    await cases_service.take(actor=team.clerk, case_id=case.id)
    await cases_service.give_result(actor=team.clerk, case_id=case.id, text="已约双方周五上午到村调解室调解。")
    await drain_jobs()
    texts = [m["text"]["content"] for m in emulator.sent.get("custom", [])
             if m["openid"] == "oDistrictLi0000000000000001" and m.get("msgtype") == "text"]
    assert any(number in t and "周五上午" in t for t in texts), texts
    mine = (await c.get(f"/api/mp/cases/{number}", headers=h)).json()
    assert mine["result"] == "已约双方周五上午到村调解室调解。"


async def test_a_case_made_before_following_is_linked_at_the_next_login(
        app: Any, emulator: Any, drain_jobs: Any) -> None:
    from app.cases import service as cases_service

    c = at(app)
    first = await mint(emulator, unionid="uWang")
    r = await c.post("/api/mp/login", json={"code": first["code"]})
    rid = r.json()["resident_id"]
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    await c.post("/api/mp/requests", json=FORM, headers=h)
    case = (await cases_service.open_cases_for_resident(resident_id=rid))[0]
    assert case.openid is None  # follows no official account yet
    await follow(app, emulator, "oDistrictWang00000000000001", "uWang")
    await drain_jobs()
    again = await mint(emulator, openid=first["openid"])
    assert (await c.post("/api/mp/login", json={"code": again["code"]})).json()["resident_id"] == rid
    case = (await cases_service.open_cases_for_resident(resident_id=rid))[0]
    assert (case.account_key, case.openid) == ("yx_district", "oDistrictWang00000000000001")


async def test_without_the_open_platform_binding_wechat_gives_no_unionid(
        app: Any, emulator: Any, drain_jobs: Any) -> None:
    from app.cases import service as cases_service
    from app.residents import service as residents

    async with control(emulator) as emu:
        r = await emu.post("/_control/open_platform", json={"account_key": "miniprogram", "platform": None})
        assert r.json() == {"account_key": "miniprogram", "platform": None}
    await follow(app, emulator, "oDistrictZhao0000000000001", "uZhao")
    await drain_jobs()
    minted = await mint(emulator, unionid="uZhao")
    assert "unionid" not in minted  # WeChat answers none to an unbound mini-program
    c = at(app)
    r = await c.post("/api/mp/login", json={"code": minted["code"]})
    oa = await residents.find_identity(account_key="yx_district", openid="oDistrictZhao0000000000001")
    assert oa is not None and r.json()["resident_id"] != oa.resident_id
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    await c.post("/api/mp/requests", json=FORM, headers=h)
    case = (await cases_service.open_cases_for_resident(resident_id=r.json()["resident_id"]))[0]
    assert case.openid is None
    # bound to another Open Platform account: a unionid, but not the one the official account has
    async with control(emulator) as emu:
        await emu.post("/_control/open_platform", json={"account_key": "miniprogram", "platform": "other-open"})
    other = await mint(emulator, unionid="uZhao")
    assert other["unionid"] and other["unionid"] != "uZhao"
    r2 = await c.post("/api/mp/login", json={"code": other["code"]})
    assert r2.json()["resident_id"] != oa.resident_id
