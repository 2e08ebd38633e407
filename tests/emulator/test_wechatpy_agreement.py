"""wechatpy's own (sync) client talks to the emulator over real HTTP and gets what WeChat would answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from wechatpy import WeChatClient as WechatpyClient
from wechatpy.exceptions import WeChatClientException

from tests.emulator.live import live_emulator

SERVICE = "yx_district"


def wechatpy_client(base_url: str, appid: str, secret: str) -> WechatpyClient:
    class EmulatedClient(WechatpyClient):
        API_BASE_URL = f"{base_url}/cgi-bin/"

        def fetch_access_token(self) -> Any:
            return self._fetch_access_token(url=f"{base_url}/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    return EmulatedClient(appid, secret, timeout=5)


async def test_wechatpy_agrees(settings: Any) -> None:
    async with live_emulator(settings) as emu:
        acc = emu.state.by_key(SERVICE)
        wp = wechatpy_client(emu.base_url, acc.account.appid, acc.account.secret)
        async with emu.control() as c:
            f = (await c.post("/_control/followers", json={"account_key": SERVICE, "nickname": "张三"})).json()
        openid = f["openid"]

        token = await asyncio.to_thread(wp.fetch_access_token)
        assert token["expires_in"] == 7200 and wp.access_token == token["access_token"]

        user = await asyncio.to_thread(wp.user.get, openid)
        assert user["subscribe"] == 1 and user["openid"] == openid

        # no interaction yet: WeChat refuses customer-service messages
        with pytest.raises(WeChatClientException) as exc:
            await asyncio.to_thread(wp.message.send_text, openid, "您好")
        assert exc.value.errcode == 45015
        async with emu.control() as c:
            await c.post("/_control/interactions", json={"account_key": SERVICE, "openid": openid, "kind": "message"})
        await asyncio.to_thread(wp.message.send_text, openid, "您好，已收到您的咨询。")
        assert emu.state.sent["custom"][-1]["text"]["content"] == "您好，已收到您的咨询。"

        qr = await asyncio.to_thread(wp.qrcode.create, {
            "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "board:YX-001"}}})
        assert qr["ticket"] and qr["url"].startswith("http://weixin.qq.com/q/")

        assert await asyncio.to_thread(wp.menu.get) is None  # 46003 → None in wechatpy
        menu = {"button": [{"type": "click", "name": "智能咨询", "key": "consult:start"},
                           {"name": "服务", "sub_button": [
                               {"type": "view", "name": "法规查询", "url": "http://127.0.0.1:8000/laws"}]}]}
        await asyncio.to_thread(wp.menu.create, menu)
        got = await asyncio.to_thread(wp.menu.get)
        assert got["menu"]["button"] == menu["button"]

        # wechatpy refetches the token on 40001 and retries, as with WeChat
        async with emu.control() as c:
            await c.post("/_control/faults", json={"endpoint": "cgi-bin/user/info", "errcode": 40001, "count": 1})
        assert (await asyncio.to_thread(wp.user.get, openid))["openid"] == openid
        assert emu.state.calls["cgi-bin/token"] == 2
        # and the old token still works for 5 minutes after the refresh
        r = await asyncio.to_thread(
            wp._http.get, f"{emu.base_url}/cgi-bin/user/info",
            params={"access_token": token["access_token"], "openid": openid})
        assert r.json()["openid"] == openid
