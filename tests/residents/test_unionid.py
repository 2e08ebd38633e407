"""One person across the matrix: two openids with one unionid become one resident (end to end)."""

from __future__ import annotations

import httpx

from app.residents import service as residents
from app.residents.models import Resident, ResidentAccount
from app.wechat.models import InboundMessage
from tests.wechat.helpers import PLAIN, SAFE, sim


async def _follower(ctl: httpx.AsyncClient, account_key: str, openid: str, unionid: str = "") -> dict:
    res = await ctl.post("/_control/followers", json={"account_key": account_key, "openid": openid,
                                                       "unionid": unionid})
    assert res.status_code == 200
    return res.json()


async def test_the_same_person_on_two_accounts_is_one_resident(client, emulator, drain_jobs) -> None:
    ctl = httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu")
    assert (await _follower(ctl, SAFE, "o_u_safe", "u_zhang"))["unionid"] == "u_zhang"
    await _follower(ctl, PLAIN, "o_u_plain", "u_zhang")
    await _follower(ctl, PLAIN, "o_other")  # someone else, no unionid

    # WeChat's user/info and batchget give the unionid, as for accounts bound to one Open Platform
    from app.wechat.client import get_client

    assert (await get_client().user_info(PLAIN, "o_u_plain"))["unionid"] == "u_zhang"
    batch = await get_client().user_batchget(PLAIN, ["o_u_plain", "o_other"])
    assert [u.get("unionid") for u in batch] == ["u_zhang", None]

    assert (await sim(client, SAFE).event("o_u_safe", "subscribe")).status == 200
    await drain_jobs()
    first = await ResidentAccount.get(account_key=SAFE, openid="o_u_safe")
    kept = await Resident.get(id=first.resident_id)
    assert kept.unionid == "u_zhang"

    # the second account: first contact creates a resident of its own, the user-info job merges it
    assert (await sim(client, PLAIN).event("o_u_plain", "subscribe")).status == 200
    orphan_id = (await ResidentAccount.get(account_key=PLAIN, openid="o_u_plain")).resident_id
    assert orphan_id != kept.id
    await residents.set_location(orphan_id, community_code="c_on_plain", township_code="t_on_plain")
    await drain_jobs()

    links = await ResidentAccount.filter(resident_id=kept.id).order_by("account_key")
    assert [(link.account_key, link.openid, link.following) for link in links] == [
        (SAFE, "o_u_safe", True), (PLAIN, "o_u_plain", True)]
    # the orphan is kept (history pointing at it stays valid) and lends what the kept one lacked
    orphan = await Resident.get(id=orphan_id)
    assert orphan.unionid is None and not await ResidentAccount.filter(resident_id=orphan_id).exists()
    kept = await Resident.get(id=kept.id)
    assert (kept.community_code, kept.township_code) == ("c_on_plain", "t_on_plain")
    assert (await InboundMessage.get(openid="o_u_plain")).resident_id == orphan_id  # history untouched

    # from now on every message on either account is the same resident
    await sim(client, PLAIN).text("o_u_plain", "你好")
    await sim(client, SAFE).text("o_u_safe", "你好")
    rows = await InboundMessage.filter(kind="text").values_list("resident_id", flat=True)
    assert set(rows) == {kept.id}

    # someone without a unionid stays a resident of their own; repeating the job changes nothing
    await sim(client, PLAIN).event("o_other", "subscribe")
    await drain_jobs()
    other = await ResidentAccount.get(account_key=PLAIN, openid="o_other")
    assert other.resident_id not in (kept.id, orphan_id)
    assert (await Resident.get(id=other.resident_id)).unionid is None
    await residents.ensure_identity(account_key=PLAIN, openid="o_u_plain", unionid="u_zhang")
    assert await Resident.filter(unionid="u_zhang").count() == 1
    assert await ResidentAccount.filter(resident_id=kept.id).count() == 2
    await ctl.aclose()


async def test_the_unionid_goes_to_the_resident_when_it_is_new(db) -> None:
    link = await residents.ensure_identity(account_key=SAFE, openid="o_first")
    again = await residents.ensure_identity(account_key=SAFE, openid="o_first", unionid="u_new")
    assert again.resident_id == link.resident_id
    assert (await Resident.get(id=link.resident_id)).unionid == "u_new"
    other = await residents.ensure_identity(account_key=PLAIN, openid="o_first_plain", unionid="u_new")
    assert other.resident_id == link.resident_id  # a first contact with a known unionid joins directly
