"""The loopback WeChat refuses what WeChat refuses (issue 27 §10), with WeChat's codes: subscription and
template sends nobody agreed to (43101), unknown template ids (40037), bogus media ids (40007), values over
their type's limit (47003), menu key/URL errors (40019/40026, 40020/40027, 40055/40054), 45065 naming the
earlier send, over-long clientmsgid (45067), showqrcode as JPEG; and the endpoints menu/delete,
media/upload, mass/preview and user/get."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

SERVICE, SUBSCRIPTION, MP = "yx_district", "yx_jiedao", "miniprogram"


@pytest.fixture
async def wx(emulator: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu") as c:
        yield c


async def _token(wx: httpx.AsyncClient, emulator: Any, key: str) -> dict[str, str]:
    acc = emulator.by_key(key).account
    r = await wx.post("/cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": acc.appid,
                                                      "secret": acc.secret})
    return {"access_token": r.json()["access_token"]}


async def _code(wx: httpx.AsyncClient, path: str, p: dict[str, str], body: dict[str, Any]) -> int:
    return int((await wx.post(path, params=p, json=body)).json().get("errcode", 0))


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="JPEG")
    return buf.getvalue()


async def test_subscription_messages_need_a_known_template_and_the_residents_agreement(wx, emulator) -> None:
    p = await _token(wx, emulator, SERVICE)
    f = emulator.add_follower(emulator.by_key(SERVICE))
    send = {"touser": f.openid, "template_id": "nosuch", "data": {"thing1": {"value": "预约提醒"}}}
    assert await _code(wx, "/cgi-bin/message/subscribe/bizsend", p, send) == 40037
    missing = await wx.post("/wxaapi/newtmpl/addtemplate", params=p, data={"kidList": ["1", "2"]})
    assert missing.json()["errcode"] == 200014
    added = await wx.post("/wxaapi/newtmpl/addtemplate", params=p, data={"tid": "1234", "kidList": ["1", "2"]})
    tid = added.json()["priTmplId"]
    send["template_id"] = tid
    assert await _code(wx, "/cgi-bin/message/subscribe/bizsend", p, send) == 43101  # never agreed
    await wx.post("/_control/subscriptions", json={"account_key": SERVICE, "openid": f.openid, "template_id": tid})
    over = {**send, "data": {"thing1": {"value": "法" * 21}}}
    refused = (await wx.post("/cgi-bin/message/subscribe/bizsend", params=p, json=over)).json()
    assert refused["errcode"] == 47003 and "data.thing1.value invalid" in refused["errmsg"]
    assert await _code(wx, "/cgi-bin/message/subscribe/bizsend", p, send) == 0  # 20 characters or fewer
    assert await _code(wx, "/cgi-bin/message/subscribe/bizsend", p, send) == 43101  # a one-time agreement is used


@pytest.mark.parametrize("key, value, ok", [
    ("thing1", "一" * 20, True), ("thing1", "一" * 21, False), ("thing1", "第一行\n第二行", False),
    ("thing1", " ", False), ("phrase2", "已受理", True), ("phrase2", "已经受理完毕", False),
    ("number3", "12.5", True), ("number3", "十二", False), ("phone_number4", "+86-0571-12348", True),
    ("name5", "张三", True), ("name5", "张" * 11, False), ("character_string6", "FW20261205-0001", True),
    ("keyword1", "旧模板不限类型" * 10, True),
])
async def test_value_limits_of_template_data(wx, emulator, key, value, ok) -> None:
    p = await _token(wx, emulator, MP)
    minted = (await wx.post("/_control/login_codes", json={})).json()
    tid = (await wx.post("/_control/templates", json={"account_key": MP, "subscription": True})).json()["template_id"]
    await wx.post("/_control/subscriptions", json={"account_key": MP, "openid": minted["openid"], "template_id": tid,
                                                   "kind": "long"})
    body = {"touser": minted["openid"], "template_id": tid, "data": {key: {"value": value}}}
    assert await _code(wx, "/cgi-bin/message/subscribe/send", p, body) == (0 if ok else 47003)


async def test_template_messages_unknown_ids_unfollowed_and_refusing_residents(wx, emulator) -> None:
    p = await _token(wx, emulator, SERVICE)
    f = emulator.add_follower(emulator.by_key(SERVICE))
    body = {"touser": f.openid, "template_id": "T-unknown", "data": {"thing1": {"value": "案件已受理"}}}
    assert await _code(wx, "/cgi-bin/message/template/send", p, body) == 40037
    tid = (await wx.post("/cgi-bin/template/api_add_template", params=p,
                         json={"template_id_short": "OPENTM1"})).json()["template_id"]
    body["template_id"] = tid
    assert await _code(wx, "/cgi-bin/message/template/send", p, body) == 0
    long = {**body, "data": {"thing1": {"value": "案" * 30}}}
    assert await _code(wx, "/cgi-bin/message/template/send", p, long) == 47003
    await wx.post("/_control/followers", json={"account_key": SERVICE, "openid": f.openid, "refuses_templates": True})
    assert await _code(wx, "/cgi-bin/message/template/send", p, body) == 43101
    emulator.interact(f, "unsubscribe")
    assert await _code(wx, "/cgi-bin/message/template/send", p, body) == 43004


async def test_bogus_media_ids_are_refused_and_uploaded_media_work(wx, emulator) -> None:
    p = await _token(wx, emulator, SERVICE)
    f = emulator.add_follower(emulator.by_key(SERVICE))
    emulator.interact(f, "message")
    image = {"touser": f.openid, "msgtype": "image", "image": {"media_id": "bogus"}}
    assert await _code(wx, "/cgi-bin/message/custom/send", p, image) == 40007
    card = {"touser": f.openid, "msgtype": "miniprogrampage", "miniprogrampage": {
        "title": "预约", "appid": emulator.by_key(MP).account.appid, "pagepath": "pages/index/index",
        "thumb_media_id": "bogus"}}
    assert await _code(wx, "/cgi-bin/message/custom/send", p, card) == 40007
    mass = {"filter": {"is_to_all": True}, "msgtype": "image", "image": {"media_id": "bogus"}}
    assert await _code(wx, "/cgi-bin/message/mass/sendall", p, mass) == 40007
    up = await wx.post("/cgi-bin/media/upload", params={**p, "type": "image"},
                       files={"media": ("a.jpg", _jpeg(), "image/jpeg")})
    assert up.json()["type"] == "image" and up.json()["created_at"] > 0
    image["image"]["media_id"] = up.json()["media_id"]
    assert await _code(wx, "/cgi-bin/message/custom/send", p, image) == 0
    thumb = await wx.post("/cgi-bin/media/upload", params={**p, "type": "thumb"},
                          files={"media": ("t.jpg", _jpeg(), "image/jpeg")})
    card["miniprogrampage"]["thumb_media_id"] = thumb.json()["thumb_media_id"]
    assert await _code(wx, "/cgi-bin/message/custom/send", p, card) == 0
    await wx.post("/_control/clock", json={"seconds": 3 * 86400 + 1})  # temporary media last 3 days
    p = await _token(wx, emulator, SERVICE)
    emulator.interact(f, "message")
    assert await _code(wx, "/cgi-bin/message/custom/send", p, image) == 40007


async def test_media_upload_checks_type_size_and_format(wx, emulator) -> None:
    p = await _token(wx, emulator, SERVICE)

    async def upload(mtype: str, content: bytes) -> int:
        r = await wx.post("/cgi-bin/media/upload", params={**p, "type": mtype}, files={"media": ("f", content, "x")})
        return int(r.json().get("errcode", 0))

    assert await upload("image", _jpeg()) == 0
    assert await upload("gif", _jpeg()) == 40004
    assert await upload("image", b"not an image") == 40005
    assert await upload("thumb", _jpeg() + b"\0" * (64 << 10)) == 40006
    assert (await wx.post("/cgi-bin/media/upload", params={**p, "type": "image"})).json()["errcode"] == 41005


@pytest.mark.parametrize("button, code", [
    ({"type": "click", "name": "咨询", "key": "k" * 129}, 40019),
    ({"name": "服务", "sub_button": [{"type": "click", "name": "咨询", "key": "k" * 129}]}, 40026),
    ({"type": "view", "name": "法规", "url": "https://e.org/" + "x" * 1024}, 40020),
    ({"name": "服务", "sub_button": [{"type": "view", "name": "法规", "url": "https://e.org/" + "x" * 1024}]}, 40027),
    ({"type": "view", "name": "法规", "url": "ftp://e.org/laws"}, 40055),
    ({"name": "服务", "sub_button": [{"type": "view", "name": "法规", "url": "e.org/laws"}]}, 40054),
])
async def test_menu_key_and_url_errors_carry_wechats_codes(wx, emulator, button, code) -> None:
    p = await _token(wx, emulator, SERVICE)
    assert await _code(wx, "/cgi-bin/menu/create", p, {"button": [button]}) == code


async def test_menu_delete(wx, emulator) -> None:
    p = await _token(wx, emulator, SERVICE)
    menu = {"button": [{"type": "click", "name": "咨询", "key": "consult:ask"}]}
    assert await _code(wx, "/cgi-bin/menu/create", p, menu) == 0
    assert "menu" in (await wx.get("/cgi-bin/menu/get", params=p)).json()
    assert (await wx.get("/cgi-bin/menu/delete", params=p)).json() == {"errcode": 0, "errmsg": "ok"}
    assert (await wx.get("/cgi-bin/menu/get", params=p)).json()["errcode"] == 46003


async def test_45065_names_the_earlier_send_and_long_clientmsgid_is_45067(wx, emulator) -> None:
    p = await _token(wx, emulator, SERVICE)
    for _ in range(2):
        emulator.add_follower(emulator.by_key(SERVICE))
    body = {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "普法"}, "clientmsgid": "c-1"}
    first = (await wx.post("/cgi-bin/message/mass/sendall", params=p, json=body)).json()
    again = (await wx.post("/cgi-bin/message/mass/sendall", params=p, json=body)).json()
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    assert await _code(wx, "/cgi-bin/message/mass/sendall", p, {**body, "clientmsgid": "x" * 65}) == 45067
    assert await _code(wx, "/cgi-bin/message/mass/sendall", p, {**body, "clientmsgid": "字" * 22}) == 45067  # 66 bytes


async def test_45065_reaches_the_client_as_a_duplicate(client, emulator) -> None:
    from app.wechat import errors
    from app.wechat.client import get_client

    for _ in range(2):
        emulator.add_follower(emulator.by_key(SERVICE))
    c = get_client()
    await c.mass_send_by_tag(SERVICE, msgtype="text", body={"content": "普法"}, is_to_all=True, clientmsgid="dup-1")
    with pytest.raises(errors.DuplicateMassSend):
        await c.mass_send_by_tag(SERVICE, msgtype="text", body={"content": "普法"}, is_to_all=True,
                                 clientmsgid="dup-1")


async def test_mass_preview(client, emulator) -> None:
    from app.wechat import errors
    from app.wechat.client import get_client

    f = emulator.add_follower(emulator.by_key(SERVICE))
    r = await get_client().mass_preview(SERVICE, openid=f.openid, msgtype="text", body={"content": "预览"})
    assert r["errmsg"] == "preview success" and r["msg_id"]
    assert emulator.sent["preview"][-1]["openid"] == f.openid
    assert "mass" not in emulator.sent  # no mass send was counted
    with pytest.raises(errors.InvalidRequest) as exc:
        await get_client().mass_preview(SERVICE, openid="o_stranger", msgtype="text", body={"content": "预览"})
    assert exc.value.errcode == 40003


async def test_user_get_pages_the_followers(client, emulator, monkeypatch) -> None:
    from app.emulator import api_users
    from app.wechat.client import get_client

    monkeypatch.setattr(api_users, "USER_GET_PAGE", 2)
    acc = emulator.by_key(SERVICE)
    people = [emulator.add_follower(acc, openid=f"o_follower_{i}").openid for i in range(5)]
    emulator.interact(acc.followers["o_follower_1"], "unsubscribe")
    c = get_client()
    seen, next_openid = [], ""
    while True:
        page = await c.user_list(SERVICE, next_openid)
        assert page["total"] == 4
        if not page["count"]:
            break
        seen += page["data"]["openid"]
        next_openid = page["next_openid"]
    assert seen == [o for o in people if o != "o_follower_1"]


async def test_menu_delete_and_media_upload_through_the_client(client, emulator) -> None:
    from app.wechat.client import get_client

    c = get_client()
    await c.menu_create(SERVICE, [{"type": "click", "name": "咨询", "key": "consult:ask"}])
    await c.menu_delete(SERVICE)
    assert await c.menu_get(SERVICE) is None
    media = await c.media_upload(SERVICE, media_type="image", filename="a.jpg", content=_jpeg())
    assert media["media_id"] in emulator.by_key(SERVICE).media


async def test_showqrcode_is_a_jpeg(client, emulator) -> None:
    from app.wechat.client import get_client

    qr = await get_client().create_qrcode(SERVICE, scene_str="board:YX-009")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu") as wx:
        img = await wx.get("/cgi-bin/showqrcode", params={"ticket": qr["ticket"]})
    assert img.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(img.content)).format == "JPEG"


async def test_the_demo_emulator_is_seeded_with_the_case_alert_template(wx, emulator, settings) -> None:
    from app.emulator.commands import seed_demo_templates
    p = await _token(wx, emulator, settings.case_alert_account)
    f = emulator.add_follower(emulator.by_key(settings.case_alert_account))
    body = {"touser": f.openid, "template_id": settings.case_alert_template_id,
            "data": {"thing1": {"value": "紧急事项"}}}
    assert await _code(wx, "/cgi-bin/message/template/send", p, body) == 40037  # not added: refused, as live
    seeded = seed_demo_templates(emulator, settings)
    assert seeded[0] == (settings.case_alert_account, settings.case_alert_template_id)
    assert (settings.case_alert_account, settings.survey_template_id) in seeded  # the survey's subscription message
    assert await _code(wx, "/cgi-bin/message/template/send", p, body) == 0
