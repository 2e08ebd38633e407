"""The demo chat page (/demo/chat) and its JSON endpoint, driven by the callback simulator."""

from __future__ import annotations

from app.config import set_settings
from app.residents.models import ResidentAccount
from app.wechat.models import InboundMessage
from tests.conftest import make_settings
from tests.wechat.helpers import SAFE


async def test_chat_page_lists_every_account(client) -> None:
    r = await client.get("/demo/chat")
    assert r.status_code == 200
    for name in ("云溪司法", "石桥镇法律服务", "桃源镇法律服务", "云溪街道法律服务"):
        assert name in r.text
    assert "智能咨询" in r.text and "/static/fawu.css" in r.text and "cdn" not in r.text.lower()


async def test_chat_turns_go_through_the_callback(client) -> None:
    r = await client.post("/demo/chat/send", json={"account_key": SAFE, "openid": "o_demo_t", "kind": "event",
                                                   "event": "subscribe"})
    assert r.status_code == 200 and "欢迎关注云溪司法" in r.json()["text"] and r.json()["encrypted"]
    r = await client.post("/demo/chat/send", json={"account_key": SAFE, "openid": "o_demo_t", "kind": "text",
                                                   "text": "ZZT-echo 演示"})
    assert r.json()["text"] == "回声：演示"
    assert (await ResidentAccount.get(account_key=SAFE, openid="o_demo_t")).following
    assert await InboundMessage.filter(openid="o_demo_t").count() == 2


async def test_chat_refuses_bad_input(client) -> None:
    r = await client.post("/demo/chat/send", json={"account_key": "nosuch", "openid": "o", "kind": "text",
                                                   "text": "x"})
    assert r.status_code == 404
    r = await client.post("/demo/chat/send", json={"account_key": SAFE, "openid": "o", "kind": "text", "text": " "})
    assert r.status_code == 400


async def test_demo_pages_off_outside_demo(client) -> None:
    set_settings(make_settings(demo=False))
    assert (await client.get("/demo/chat")).status_code == 404
    r = await client.post("/demo/chat/send", json={"account_key": SAFE, "openid": "o", "kind": "text", "text": "x"})
    assert r.status_code == 404
