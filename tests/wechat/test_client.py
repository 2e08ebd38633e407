"""The API client against the loopback WeChat over real HTTP: tokens, retries, faults, windows, quotas, mass sends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from app.config import set_settings
from app.matrix.service import load_matrix, set_matrix
from app.wechat import errors, quotas, windows
from app.wechat.client import WeChatClient, split_openids
from tests.conftest import make_settings
from tests.emulator.live import LiveEmulator, live_emulator

SERVICE = "yx_district"  # verified service account, safe mode
SUBSCRIPTION = "yx_jiedao"  # subscription account, plain mode


@dataclass
class Rig:
    client: WeChatClient
    emu: LiveEmulator

    @property
    def state(self) -> Any:
        return self.emu.state

    def calls(self, endpoint: str) -> int:
        return int(self.state.calls.get(endpoint, 0))

    async def fault(self, endpoint: str, **kw: Any) -> None:
        async with self.emu.control() as c:
            r = await c.post("/_control/faults", json={"endpoint": endpoint, **kw})
            assert r.status_code == 200, r.text

    async def follower(self, account_key: str, interaction: str | None = None) -> str:
        async with self.emu.control() as c:
            r = await c.post("/_control/followers", json={"account_key": account_key, "interaction": interaction})
            openid = str(r.json()["openid"])
        if interaction:  # what the inbound engine records when the resident interacts
            await windows.record_interaction(account_key=account_key, openid=openid, kind=interaction)
        return openid

    async def sent(self, kind: str) -> list[dict[str, Any]]:
        async with self.emu.control() as c:
            return list((await c.get("/_control/sent", params={"kind": kind})).json())


async def _rig(settings: Any, **overrides: Any) -> AsyncIterator[Rig]:
    async with live_emulator(settings) as emu:
        s = make_settings(database_url=settings.database_url, wechat_api_base=emu.base_url, **overrides)
        set_settings(s)
        set_matrix(load_matrix(s.matrix_dir))
        client = WeChatClient(s)
        client.busy_backoff = 0.01
        try:
            yield Rig(client, emu)
        finally:
            await client.aclose()
            set_matrix(None)


@pytest.fixture
async def rig(db: None, settings: Any) -> AsyncIterator[Rig]:
    async for r in _rig(settings, wechat_http_timeout=2.0):
        yield r


async def test_concurrent_callers_share_one_stable_token(rig: Rig) -> None:
    tokens = await asyncio.gather(*(rig.client.access_token(SERVICE) for _ in range(20)))
    assert len(set(tokens)) == 1
    assert rig.calls("cgi-bin/stable_token") == 1
    # a second "process" (another manager on the same database) reuses it
    other = WeChatClient(rig.client.settings)
    try:
        assert await other.access_token(SERVICE) == tokens[0]
    finally:
        await other.aclose()
    assert rig.calls("cgi-bin/stable_token") == 1


async def test_40001_retried_exactly_once(rig: Rig) -> None:
    openid = await rig.follower(SERVICE, "message")
    await rig.fault("cgi-bin/message/custom/send", errcode=40001, count=1)
    await rig.client.send_custom_text(SERVICE, openid, "您好")
    assert rig.calls("cgi-bin/message/custom/send") == 2
    # the stable token was still the refused one, so the client forced one refresh
    assert rig.state.by_key(SERVICE).stable_forces.get(rig.state.day()) == 1
    await rig.fault("cgi-bin/message/custom/send", errcode=40001, count=2)
    with pytest.raises(errors.TokenInvalid) as exc:
        await rig.client.send_custom_text(SERVICE, openid, "再试")
    assert exc.value.errcode == 40001
    assert rig.calls("cgi-bin/message/custom/send") == 4  # one retry, not more
    assert len(await rig.sent("custom")) == 1


async def test_40001_storm_ends_in_one_refresh(rig: Rig) -> None:
    openid = await rig.follower(SERVICE)
    first = await rig.client.access_token(SERVICE)
    await rig.fault("cgi-bin/user/info", errcode=40001, count=8)
    results = await asyncio.gather(*(rig.client.user_info(SERVICE, openid) for _ in range(8)))
    assert all(r["openid"] == openid for r in results)
    assert rig.state.by_key(SERVICE).stable_forces.get(rig.state.day()) == 1
    assert await rig.client.access_token(SERVICE) != first


async def test_token_overlap_and_compare_and_expire(db: None, settings: Any) -> None:
    async for rig in _rig(settings, wechat_use_stable_token=False):
        openid = await rig.follower(SERVICE)
        t1 = await rig.client.access_token(SERVICE)
        acc = rig.state.by_key(SERVICE).account
        async with rig.emu.control() as c:
            # someone else fetches a token: t1 keeps working for 5 minutes
            r = await c.get("/cgi-bin/token", params={"grant_type": "client_credential", "appid": acc.appid,
                                                      "secret": acc.secret})
            t2 = r.json()["access_token"]
            assert t2 != t1
            ok = await c.get("/cgi-bin/user/info", params={"access_token": t1, "openid": openid})
            assert ok.json()["openid"] == openid
            await c.post("/_control/clock", json={"seconds": 301})
            bad = await c.get("/cgi-bin/user/info", params={"access_token": t1, "openid": openid})
            assert bad.json()["errcode"] == 40001
        # a stale token someone else refused is not expired: compare-and-expire
        assert not await rig.client.tokens.expire(SERVICE, "not-the-stored-token")
        assert (await rig.client.tokens.peek(SERVICE)).token == t1  # type: ignore[union-attr]
        # the client's call fails with t1, expires it, refreshes once and retries
        info = await rig.client.user_info(SERVICE, openid)
        assert info["subscribe"] == 1
        assert rig.calls("cgi-bin/token") == 3 and rig.calls("cgi-bin/user/info") == 4
        t3 = await rig.client.access_token(SERVICE)
        assert t3 not in (t1, t2)


async def test_busy_is_retried_with_backoff(rig: Rig) -> None:
    openid = await rig.follower(SERVICE)
    await rig.fault("cgi-bin/user/info", errcode=-1, count=2)
    assert (await rig.client.user_info(SERVICE, openid))["openid"] == openid
    assert rig.calls("cgi-bin/user/info") == 3
    await rig.fault("cgi-bin/user/info", errcode=-1, count=3)
    with pytest.raises(errors.SystemBusy):
        await rig.client.user_info(SERVICE, openid)
    assert rig.calls("cgi-bin/user/info") == 6


async def test_45009_stops_and_alerts(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    from app.core import metrics

    openid = await rig.follower(SERVICE, "message")
    before = metrics.wechat_api_errors.labels(SERVICE, "cgi-bin/message/custom/send", "45009")._value.get()
    await rig.fault("cgi-bin/message/custom/send", errcode=45009, count=5)
    with caplog.at_level(logging.ERROR, logger="fawu.wechat.client"), pytest.raises(errors.ApiQuotaExceeded):
        await rig.client.send_custom_text(SERVICE, openid, "您好")
    assert rig.calls("cgi-bin/message/custom/send") == 1
    assert any("quota" in r.getMessage() for r in caplog.records)
    assert metrics.wechat_api_errors.labels(SERVICE, "cgi-bin/message/custom/send", "45009")._value.get() == before + 1


async def test_timeout_and_slow(db: None, settings: Any) -> None:
    async for rig in _rig(settings, wechat_http_timeout=0.3):
        openid = await rig.follower(SERVICE)
        await rig.client.access_token(SERVICE)
        await rig.fault("cgi-bin/user/info", kind="slow", delay=0.1)
        assert (await rig.client.user_info(SERVICE, openid))["openid"] == openid
        await rig.fault("cgi-bin/user/info", kind="timeout", delay=1.0)
        with pytest.raises(errors.WeChatTimeout):
            await rig.client.user_info(SERVICE, openid)
        assert rig.calls("cgi-bin/user/info") == 2  # never retried: a send might have gone out


async def test_window_enforced_before_the_call(rig: Rig) -> None:
    openid = await rig.follower(SERVICE, "click")  # the emulator's window: 1 minute, 3 messages
    await windows.record_interaction(account_key=SERVICE, openid=openid, kind="click")
    for i in range(3):
        assert await windows.can_send_custom(account_key=SERVICE, openid=openid)
        await rig.client.send_custom_text(SERVICE, openid, f"第{i + 1}条")
        assert await windows.consume_custom(account_key=SERVICE, openid=openid)
    assert not await windows.can_send_custom(account_key=SERVICE, openid=openid)
    with pytest.raises(errors.WindowClosed) as exc:
        await rig.client.send_custom_text(SERVICE, openid, "第4条")
    assert exc.value.errcode == 45047
    assert rig.calls("cgi-bin/message/custom/send") == 3  # refused before calling


async def test_window_closed_by_wechat_is_marked(rig: Rig) -> None:
    openid = await rig.follower(SERVICE)  # the emulator knows no interaction
    await windows.record_interaction(account_key=SERVICE, openid=openid, kind="message")
    with pytest.raises(errors.WindowClosed) as exc:
        await rig.client.send_custom_text(SERVICE, openid, "您好")
    assert exc.value.errcode == 45015
    assert not await windows.can_send_custom(account_key=SERVICE, openid=openid)
    # the resident writes again: the window opens on both sides
    async with rig.emu.control() as c:
        await c.post("/_control/interactions", json={"account_key": SERVICE, "openid": openid, "kind": "message"})
    await windows.record_interaction(account_key=SERVICE, openid=openid, kind="message")
    await rig.client.send_custom_news(SERVICE, openid, [{"title": "法律援助", "url": "https://example.org/a",
                                                          "image": "https://example.org/a.png"}])
    sent = await rig.sent("custom")
    assert sent[-1]["news"]["articles"][0]["picurl"] == "https://example.org/a.png"


async def test_mass_quotas_enforced_before_the_call(rig: Rig) -> None:
    a, b = await rig.follower(SUBSCRIPTION), await rig.follower(SUBSCRIPTION)
    with pytest.raises(errors.Unauthorized):
        await rig.client.mass_send_by_openids(SUBSCRIPTION, openids=[a, b], msgtype="text",
                                              body={"content": "普法"})
    assert rig.calls("cgi-bin/message/mass/send") == 0
    tag = await rig.client.tags_create(SUBSCRIPTION, "普法")
    await rig.client.tags_members_batchtagging(SUBSCRIPTION, tag["id"], [a, b])
    await rig.client.mass_send_by_tag(SUBSCRIPTION, msgtype="text", body={"content": "宪法日"}, tag_id=tag["id"])
    assert not await quotas.can_mass_send(account=rig.client.account(SUBSCRIPTION), target="tag")
    with pytest.raises(errors.MassQuotaExceeded):
        await rig.client.mass_send_by_tag(SUBSCRIPTION, msgtype="text", body={"content": "再发"}, tag_id=tag["id"])
    assert rig.calls("cgi-bin/message/mass/sendall") == 1


async def test_service_account_monthly_cap_per_follower(rig: Rig) -> None:
    people = [await rig.follower(SERVICE) for _ in range(3)]
    for i in range(4):
        await rig.client.mass_send_by_openids(SERVICE, openids=people[:2], msgtype="text", body={"content": f"{i}"})
    assert await quotas.eligible_openids(account_key=SERVICE, openids=people) == [people[2]]
    # only one follower has quota left: an OpenID list needs two, so nothing is called
    with pytest.raises(errors.InvalidRequest):
        await rig.client.mass_send_by_openids(SERVICE, openids=people, msgtype="text", body={"content": "x"})
    with pytest.raises(errors.MassQuotaExceeded):
        await rig.client.mass_send_by_openids(SERVICE, openids=people[:2], msgtype="text", body={"content": "x"})
    assert rig.calls("cgi-bin/message/mass/send") == 4


def test_split_openids() -> None:
    ids = [f"o{i}" for i in range(20_001)]
    chunks = split_openids(ids)
    assert [len(c) for c in chunks] == [10_000, 9_999, 2]
    assert sum(chunks, []) == ids
    assert [len(c) for c in split_openids(ids[:7], size=3)] == [3, 2, 2]
    assert split_openids(["a", "a", "b"]) == [["a", "b"]]
    with pytest.raises(errors.InvalidRequest):
        split_openids(["a", "a"])


async def test_mass_send_chunks_and_job_finished_postback(rig: Rig) -> None:
    account = rig.client.account(SERVICE)
    received: list[str] = []
    receiver = FastAPI()

    @receiver.post("/wechat/{key}")
    async def callback(key: str, request: Request) -> PlainTextResponse:
        q = request.query_params
        check_signature(account.token, q["signature"], q["timestamp"], q["nonce"])
        crypto = WeChatCrypto(account.token, account.encoding_aes_key, account.appid)
        received.append(crypto.decrypt_message((await request.body()).decode(), q["msg_signature"],
                                               q["timestamp"], q["nonce"]))
        return PlainTextResponse("success")

    rig.state.callback_transport = httpx.ASGITransport(app=receiver)
    rig.client.mass_chunk_size = 3
    people = [await rig.follower(SERVICE) for _ in range(7)]
    results = await rig.client.mass_send_by_openids(SERVICE, openids=people, msgtype="text",
                                                    body={"content": "法律援助申请指南"}, clientmsgid="guide-2026")
    assert [r["count"] for r in results] == [3, 2, 2]
    assert [r["clientmsgid"] for r in results] == ["guide-2026-0", "guide-2026-1", "guide-2026-2"]
    async with rig.emu.control() as c:
        await c.post("/_control/flush")
        callbacks = (await c.get("/_control/callbacks")).json()
    assert len(received) == 3 and all(cb["ok"] for cb in callbacks)
    assert "<Event><![CDATA[MASSSENDJOBFINISH]]></Event>" in received[0]
    assert f"<MsgID>{results[0]['msg_id']}</MsgID>" in received[0]
    assert "<SentCount>3</SentCount>" in received[0]
    assert await quotas.record_mass_finished(account_key=SERVICE, msg_id=str(results[0]["msg_id"]),
                                             status="send success", result={"SentCount": 3})
    # the same clientmsgid again is a duplicate for WeChat
    with pytest.raises(errors.DuplicateMassSend):
        await rig.client.mass_send_by_openids(SERVICE, openids=people[:2], msgtype="text",
                                              body={"content": "再发"}, clientmsgid="guide-2026")
    status = await rig.client.mass_get(SERVICE, results[0]["msg_id"])
    assert status["msg_status"] == "SEND_SUCCESS"


async def test_other_endpoints(rig: Rig) -> None:
    import io

    from PIL import Image

    openid = await rig.follower(SERVICE)
    async with rig.emu.control() as c:  # the account's template libraries, and the resident's agreement
        for tid, sub in (("TPL1", False), ("TPL2", True)):
            await c.post("/_control/templates", json={"account_key": SERVICE, "template_id": tid, "subscription": sub})
        await c.post("/_control/templates", json={"account_key": "miniprogram", "template_id": "TPL3",
                                                  "subscription": True})
        await c.post("/_control/subscriptions", json={"account_key": SERVICE, "openid": openid,
                                                      "template_id": "TPL2"})
    # template and subscription notifications: service accounts only
    r = await rig.client.send_template(SERVICE, openid, "TPL1", {"thing1": "法律援助", "first": "旧字段"},
                                       url="https://example.org")
    assert r["msgid"]
    assert "first" not in (await rig.sent("template"))[-1]["data"]
    await rig.client.send_subscribe_bizsend(SERVICE, openid, "TPL2", {"thing1": "预约提醒"}, page="pages/index/index")
    sub = await rig.follower(SUBSCRIPTION)
    with pytest.raises(errors.Unauthorized):
        await rig.client.send_template(SUBSCRIPTION, sub, "TPL1", {"thing1": "x"})
    # material, draft, publish
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    media = await rig.client.material_upload(SERVICE, media_type="image", filename="a.png", content=png.getvalue())
    draft = await rig.client.draft_add(SERVICE, [{"title": "普法", "content": "<p>内容</p>",
                                                  "thumb_media_id": media["media_id"]}])
    await rig.client.draft_update(SERVICE, draft, 0, {"title": "普法（修订）", "content": "<p>新</p>",
                                                      "thumb_media_id": media["media_id"]})
    published = await rig.client.freepublish_submit(SERVICE, draft)
    assert published["publish_id"]
    # QR codes
    qr = await rig.client.create_qrcode(SERVICE, scene_str="board:YX-001")
    assert qr["ticket"] and "expire_seconds" not in qr
    again = await rig.client.create_qrcode(SERVICE, scene_str="board:YX-001")
    assert again["ticket"] == qr["ticket"]  # a permanent scene keeps its ticket
    temp = await rig.client.create_qrcode(SERVICE, scene_id=42, permanent=False)
    assert temp["expire_seconds"] == 30
    assert rig.client.qrcode_image_url(qr["ticket"]).startswith(rig.emu.base_url)
    # mini-program code: PNG bytes on success, typed error on failure
    code = await rig.client.get_wxacode_unlimited(scene="b=YX-001", page="pages/index/index")
    assert code[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(errors.InvalidRequest):
        await rig.client.get_wxacode_unlimited(scene="b=" + "x" * 40, page="pages/index/index")
    # jscode2session: single use
    async with rig.emu.control() as c:
        minted = (await c.post("/_control/login_codes", json={})).json()
    assert (await rig.client.jscode2session(minted["code"]))["openid"] == minted["openid"]
    with pytest.raises(errors.InvalidCode) as exc:
        await rig.client.jscode2session(minted["code"])
    assert exc.value.errcode == 40163
    async with rig.emu.control() as c:
        await c.post("/_control/subscriptions", json={"account_key": "miniprogram", "openid": minted["openid"],
                                                      "template_id": "TPL3", "kind": "long"})
    await rig.client.mp_subscribe_send(minted["openid"], "TPL3", {"thing1": "您的预约"})
    # users and tags
    users = await rig.client.user_batchget(SERVICE, [openid])
    assert users[0]["openid"] == openid
    assert await rig.client.menu_get(SERVICE) is None
    assert [t["name"] for t in await rig.client.tags_get(SERVICE)] == []


async def test_metrics_show_calls_and_errors(emulator: Any, client: Any) -> None:
    from app.wechat.client import get_client

    openid = emulator.add_follower(emulator.by_key(SERVICE)).openid
    from app.emulator.state import Fault

    emulator.faults.append(Fault(endpoint="cgi-bin/user/info", kind="errcode", errcode=40003, remaining=1))
    wx = get_client()
    with pytest.raises(errors.InvalidRequest):
        await wx.user_info(SERVICE, openid)
    await wx.user_info(SERVICE, openid)
    text = (await client.get("/metrics")).text
    assert 'fawu_wechat_api_calls_total{account="yx_district",endpoint="cgi-bin/user/info"}' in text
    assert 'fawu_wechat_api_errors_total{account="yx_district",code="40003",endpoint="cgi-bin/user/info"}' in text


async def test_unreachable_wechat_is_busy_after_a_few_tries(db: None, settings: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    conf = make_settings(database_url=settings.database_url, wechat_api_base=f"http://127.0.0.1:{port}")
    set_matrix(load_matrix(conf.matrix_dir))
    client = WeChatClient(conf)
    client.busy_backoff = 0.01
    from app.core import metrics

    before = metrics.wechat_api_calls.labels(SERVICE, "cgi-bin/stable_token")._value.get()
    try:
        with pytest.raises(errors.SystemBusy) as exc:
            await client.user_info(SERVICE, "oX")
        assert "cannot connect" in exc.value.errmsg
        # tried three times, but the token endpoint was asked once: the failure is shared (back-off)
        assert metrics.wechat_api_calls.labels(SERVICE, "cgi-bin/stable_token")._value.get() == before + 1
    finally:
        await client.aclose()
        set_matrix(None)
