"""The loopback WeChat answers as WeChat does: credentials, tokens, windows, mass sends, QR codes, codes."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

SERVICE, SUBSCRIPTION = "yx_district", "yx_jiedao"


@pytest.fixture
async def wx(emulator: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu") as c:
        yield c


def creds(emulator: Any, key: str) -> dict[str, str]:
    acc = emulator.by_key(key).account
    return {"grant_type": "client_credential", "appid": acc.appid, "secret": acc.secret}


async def token(wx: httpx.AsyncClient, emulator: Any, key: str) -> str:
    r = await wx.post("/cgi-bin/stable_token", json=creds(emulator, key))
    return str(r.json()["access_token"])


async def test_credentials(wx: httpx.AsyncClient, emulator: Any) -> None:
    c = creds(emulator, SERVICE)
    assert (await wx.get("/cgi-bin/token", params={**c, "secret": "0" * 32})).json()["errcode"] == 40125
    assert (await wx.get("/cgi-bin/token", params={**c, "appid": "wx0000000000000000"})).json()["errcode"] == 40013
    assert (await wx.get("/cgi-bin/token", params={**c, "grant_type": "x"})).json()["errcode"] == 40002
    assert (await wx.get("/cgi-bin/token", params={**c, "secret": ""})).json()["errcode"] == 41004
    ok = (await wx.get("/cgi-bin/token", params=c)).json()
    assert ok["expires_in"] == 7200 and len(ok["access_token"]) > 100
    r = await wx.get("/cgi-bin/user/info", params={"openid": "x"})
    assert r.json()["errcode"] == 41001
    r = await wx.get("/cgi-bin/user/info", params={"openid": "x", "access_token": "nope"})
    assert r.json()["errcode"] == 40001 and "rid:" in r.json()["errmsg"]


async def test_token_daily_quota(wx: httpx.AsyncClient, emulator: Any) -> None:
    emulator.token_daily_quota = 3
    c = creds(emulator, SERVICE)
    codes = [(await wx.get("/cgi-bin/token", params=c)).json().get("errcode", 0) for _ in range(4)]
    assert codes == [0, 0, 0, 45009]
    # stable_token is isolated from it
    stable = (await wx.post("/cgi-bin/stable_token", json=c)).json()["access_token"]
    # clear_quota resets today's count
    r = await wx.post("/cgi-bin/clear_quota", params={"access_token": stable}, json={"appid": c["appid"]})
    assert r.json()["errcode"] == 0
    assert "access_token" in (await wx.get("/cgi-bin/token", params=c)).json()


async def test_token_expires_and_refresh_overlap(wx: httpx.AsyncClient, emulator: Any) -> None:
    c = creds(emulator, SERVICE)
    emulator.add_follower(emulator.by_key(SERVICE), openid="oF")
    t1 = (await wx.get("/cgi-bin/token", params=c)).json()["access_token"]
    t2 = (await wx.get("/cgi-bin/token", params=c)).json()["access_token"]
    info = {"openid": "oF"}
    assert (await wx.get("/cgi-bin/user/info", params={**info, "access_token": t1})).json()["subscribe"] == 1
    await wx.post("/_control/clock", json={"seconds": 299})
    assert (await wx.get("/cgi-bin/user/info", params={**info, "access_token": t1})).json()["subscribe"] == 1
    await wx.post("/_control/clock", json={"seconds": 2})
    assert (await wx.get("/cgi-bin/user/info", params={**info, "access_token": t1})).json()["errcode"] == 40001
    await wx.post("/_control/clock", json={"seconds": 7200})
    assert (await wx.get("/cgi-bin/user/info", params={**info, "access_token": t2})).json()["errcode"] == 42001


async def test_stable_token_rules(wx: httpx.AsyncClient, emulator: Any) -> None:
    c = creds(emulator, SERVICE)
    a = (await wx.post("/cgi-bin/stable_token", json=c)).json()
    b = (await wx.post("/cgi-bin/stable_token", json=c)).json()
    assert a["access_token"] == b["access_token"]
    # isolated: getAccessToken does not touch the stable token
    await wx.get("/cgi-bin/token", params=c)
    assert (await wx.post("/cgi-bin/stable_token", json=c)).json()["access_token"] == a["access_token"]
    # POST JSON only
    assert (await wx.post("/cgi-bin/stable_token", data={"appid": "x"})).json()["errcode"] == 47001
    # force_refresh: new token; again within 30 s: no refresh
    f1 = (await wx.post("/cgi-bin/stable_token", json={**c, "force_refresh": True})).json()["access_token"]
    assert f1 != a["access_token"]
    assert (await wx.post("/cgi-bin/stable_token", json={**c, "force_refresh": True})).json()["access_token"] == f1
    for _ in range(19):
        await wx.post("/_control/clock", json={"seconds": 31})
        r = (await wx.post("/cgi-bin/stable_token", json={**c, "force_refresh": True})).json()
        assert "access_token" in r
    await wx.post("/_control/clock", json={"seconds": 31})
    assert (await wx.post("/cgi-bin/stable_token", json={**c, "force_refresh": True})).json()["errcode"] == 45009
    # normal mode refreshes 5 minutes before the end
    cur = (await wx.post("/cgi-bin/stable_token", json=c)).json()
    await wx.post("/_control/clock", json={"seconds": cur["expires_in"] - 299})
    assert (await wx.post("/cgi-bin/stable_token", json=c)).json()["access_token"] != cur["access_token"]


async def test_customer_service_windows(wx: httpx.AsyncClient, emulator: Any) -> None:
    tok = await token(wx, emulator, SERVICE)
    f = (await wx.post("/_control/followers", json={"account_key": SERVICE})).json()
    msg = {"touser": f["openid"], "msgtype": "text", "text": {"content": "您好"}}

    async def send() -> int:
        r = await wx.post("/cgi-bin/message/custom/send", params={"access_token": tok}, json=msg)
        return int(r.json()["errcode"])

    assert await send() == 45015
    await wx.post("/_control/interactions", json={"account_key": SERVICE, "openid": f["openid"], "kind": "click"})
    assert [await send() for _ in range(4)] == [0, 0, 0, 45047]
    await wx.post("/_control/clock", json={"seconds": 61})
    assert await send() == 45015
    await wx.post("/_control/interactions", json={"account_key": SERVICE, "openid": f["openid"], "kind": "message"})
    assert [await send() for _ in range(6)] == [0] * 5 + [45047]
    sent = (await wx.get("/_control/sent", params={"kind": "custom", "account_key": SERVICE})).json()
    assert len(sent) == 8 and sent[0]["text"]["content"] == "您好"
    two = {"touser": f["openid"], "msgtype": "news", "news": {"articles": [{"title": "a"}, {"title": "b"}]}}
    r = await wx.post("/cgi-bin/message/custom/send", params={"access_token": tok}, json=two)
    assert r.json()["errcode"] == 45008


async def test_service_only_and_retired_apis(wx: httpx.AsyncClient, emulator: Any) -> None:
    tok = await token(wx, emulator, SUBSCRIPTION)
    f = emulator.add_follower(emulator.by_key(SUBSCRIPTION))
    body = {"touser": f.openid, "template_id": "T", "data": {"thing1": {"value": "x"}}}
    r = await wx.post("/cgi-bin/message/template/send", params={"access_token": tok}, json=body)
    assert r.json()["errcode"] == 48001
    r = await wx.post("/cgi-bin/material/add_news", params={"access_token": tok}, json={"articles": []})
    assert r.json()["errcode"] == 45103
    g = emulator.add_follower(emulator.by_key(SUBSCRIPTION))
    r = await wx.post("/cgi-bin/message/mass/send", params={"access_token": tok},
                      json={"touser": [f.openid, g.openid], "msgtype": "text", "text": {"content": "x"}})
    assert r.json()["errcode"] == 48001


async def test_mass_send_rules(wx: httpx.AsyncClient, emulator: Any) -> None:
    tok = await token(wx, emulator, SERVICE)
    acc = emulator.by_key(SERVICE)
    people = [emulator.add_follower(acc).openid for _ in range(3)]
    url = "/cgi-bin/message/mass/send"
    text = {"msgtype": "text", "text": {"content": "普法"}}
    p = {"access_token": tok}
    assert (await wx.post(url, params=p, json={"touser": people[:1], **text})).json()["errcode"] == 40130
    too_many = [f"o{i}" for i in range(10_001)]
    assert (await wx.post(url, params=p, json={"touser": too_many, **text})).json()["errcode"] == 40130
    ok = (await wx.post(url, params=p, json={"touser": people, **text, "clientmsgid": "c1"})).json()
    assert ok["errcode"] == 0 and ok["msg_id"]
    assert (await wx.post(url, params=p, json={"touser": people, **text, "clientmsgid": "c1"})).json()["errcode"] \
        == 45065
    for _ in range(3):
        assert (await wx.post(url, params=p, json={"touser": people, **text})).json()["errcode"] == 0
    assert (await wx.post(url, params=p, json={"touser": people, **text})).json()["errcode"] == 45028
    # subscription account: one a day
    stok = await token(wx, emulator, SUBSCRIPTION)
    sall = {"filter": {"is_to_all": True}, **text}
    assert (await wx.post("/cgi-bin/message/mass/sendall", params={"access_token": stok}, json=sall)).json()[
        "errcode"] == 0
    assert (await wx.post("/cgi-bin/message/mass/sendall", params={"access_token": stok}, json=sall)).json()[
        "errcode"] == 45028
    await wx.post("/_control/flush")
    assert len(emulator.callbacks) == 5  # one MASSSENDJOBFINISH per accepted send


async def test_qrcode_ledger(wx: httpx.AsyncClient, emulator: Any) -> None:
    tok = await token(wx, emulator, SERVICE)
    p = {"access_token": tok}

    async def create(body: dict[str, Any]) -> dict[str, Any]:
        return dict((await wx.post("/cgi-bin/qrcode/create", params=p, json=body)).json())

    def limit_str(s: str) -> dict[str, Any]:
        return {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": s}}}

    assert (await create(limit_str("x" * 65)))["errcode"] == 40097
    assert (await create(limit_str("")))["errcode"] == 40097
    assert "ticket" in await create(limit_str("x" * 64))
    assert (await create({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_001}}}))[
        "errcode"] == 40097
    temp = await create({"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "t"}}})
    assert temp["expire_seconds"] == 30
    long = await create({"action_name": "QR_SCENE", "expire_seconds": 9_999_999,
                         "action_info": {"scene": {"scene_id": 7}}})
    assert long["expire_seconds"] == 2_592_000
    emulator.permanent_qr_limit = 2
    assert "ticket" in await create(limit_str("b:2"))
    assert (await create(limit_str("b:3")))["errcode"] == 45029
    img = await wx.get("/cgi-bin/showqrcode", params={"ticket": temp["ticket"]})
    assert img.status_code == 200 and img.content[:3] == b"\xff\xd8\xff"  # WeChat serves a JPEG
    assert img.headers["content-type"] == "image/jpeg"
    await wx.post("/_control/clock", json={"seconds": 31})
    assert (await wx.get("/cgi-bin/showqrcode", params={"ticket": temp["ticket"]})).status_code == 404


async def test_wxacode_unlimited_png_and_errors(wx: httpx.AsyncClient, emulator: Any) -> None:
    import zxingcpp
    from PIL import Image

    tok = await token(wx, emulator, "miniprogram")
    p = {"access_token": tok}
    r = await wx.post("/wxa/getwxacodeunlimit", params=p,
                      json={"scene": "b=YX-001", "page": "pages/index/index", "width": 2000})
    assert r.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
    assert decoded[0].text == "pages/index/index?scene=b=YX-001"
    for bad in ({"scene": "x" * 33}, {"scene": "中文"}, {"scene": "a%20b"}):
        r = await wx.post("/wxa/getwxacodeunlimit", params=p, json={**bad, "page": "pages/index/index"})
        assert r.json()["errcode"] == 40169
    r = await wx.post("/wxa/getwxacodeunlimit", params=p, json={"scene": "a", "page": "pages/x/x?a=1",
                                                                 "check_path": False})
    assert r.json()["errcode"] == 41030
    r = await wx.post("/wxa/getwxacodeunlimit", params=p, json={"scene": "a", "page": "pages/unpublished/x"})
    assert r.json()["errcode"] == 41030
    from app.core import clock

    clock.freeze(clock.utcnow())  # stay within one minute
    try:
        emulator.wxacode_per_minute = emulator.per_minute("wxacode")
        r = await wx.post("/wxa/getwxacodeunlimit", params=p, json={"scene": "a", "page": "pages/index/index"})
        assert r.json()["errcode"] == 45009  # 5000 a minute (here: no more this minute)
    finally:
        clock.freeze(None)
    otok = await token(wx, emulator, SERVICE)
    r = await wx.post("/wxa/getwxacodeunlimit", params={"access_token": otok}, json={"scene": "a"})
    assert r.json()["errcode"] == 48001


async def test_jscode2session(wx: httpx.AsyncClient, emulator: Any) -> None:
    mp = emulator.by_key("miniprogram").account
    code = (await wx.post("/_control/login_codes", json={"openid": "oMini"})).json()["code"]
    q = {"appid": mp.appid, "secret": mp.secret, "grant_type": "authorization_code"}
    assert (await wx.get("/sns/jscode2session", params={**q, "js_code": "bogus"})).json()["errcode"] == 40029
    ok = (await wx.get("/sns/jscode2session", params={**q, "js_code": code})).json()
    assert ok["openid"] == "oMini" and ok["session_key"]
    assert (await wx.get("/sns/jscode2session", params={**q, "js_code": code})).json()["errcode"] == 40163
    stale = (await wx.post("/_control/login_codes", json={})).json()["code"]
    await wx.post("/_control/clock", json={"seconds": 301})
    assert (await wx.get("/sns/jscode2session", params={**q, "js_code": stale})).json()["errcode"] == 40029


async def test_faults_and_reset(wx: httpx.AsyncClient, emulator: Any) -> None:
    tok = await token(wx, emulator, SERVICE)
    await wx.post("/_control/faults", json={"endpoint": "cgi-bin/tags/get", "errcode": -1, "count": 2})
    codes = [(await wx.get("/cgi-bin/tags/get", params={"access_token": tok})).json().get("errcode", 0)
             for _ in range(3)]
    assert codes == [-1, -1, 0]
    assert (await wx.get("/_control/state")).json()["calls"]["cgi-bin/tags/get"] == 3
    assert (await wx.post("/_control/faults", json={"kind": "boom"})).status_code == 400
    await wx.post("/_control/reset")
    assert (await wx.get("/cgi-bin/tags/get", params={"access_token": tok})).json()["errcode"] == 40001


async def test_menu_validation(wx: httpx.AsyncClient, emulator: Any) -> None:
    tok = await token(wx, emulator, SERVICE)
    p = {"access_token": tok}
    bad = {"button": [{"type": "click", "name": "一二三四五六七八九", "key": "k"}]}
    assert (await wx.post("/cgi-bin/menu/create", params=p, json=bad)).json()["errcode"] == 40018
    unfilled = {"button": [{"type": "view", "name": "法规", "url": "{public_base_url}/laws"}]}
    assert (await wx.post("/cgi-bin/menu/create", params=p, json=unfilled)).json()["errcode"] == 40055
    assert (await wx.post("/cgi-bin/menu/create", params=p,
                          json={"button": [{"name": "x"}] * 4})).json()["errcode"] == 40016
    assert (await wx.get("/cgi-bin/menu/get", params=p)).json()["errcode"] == 46003


async def test_job_finished_reaches_fawu_callback(emulator: Any, client: Any) -> None:
    """The postback is signed and encrypted so that fawu's own callback accepts it."""
    from app.wechat.client import get_client

    acc = emulator.by_key(SERVICE)
    people = [emulator.add_follower(acc).openid for _ in range(2)]
    results = await get_client().mass_send_by_openids(SERVICE, openids=people, msgtype="text",
                                                      body={"content": "法治宣传"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu") as c:
        await c.post("/_control/flush")
    [cb] = emulator.callbacks
    assert cb["msg_id"] == results[0]["msg_id"]
    assert cb["status"] == 200 and cb["ok"], cb
    # matched back to the send
    from app.wechat import quotas

    [send] = await quotas.mass_sends(account_key=SERVICE)
    assert send.msg_id == str(results[0]["msg_id"]) and send.status == "send success"
    assert send.result["SentCount"] in (2, "2") and send.finished_at is not None
