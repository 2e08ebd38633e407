"""The simulator sends what WeChat sends (image, location and link messages; Ticket on scans, coordinates
on LOCATION) and calls a reply WeChat would refuse an error, never "success" (issue 27 §8, §10)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.responses import Response

from app.emulator.simulator import CallbackSimulator
from app.wechat.models import InboundMessage
from tests.emulator.test_simulator import _cli, served
from tests.wechat.helpers import PLAIN, SAFE, sim


def _bad_callback(body: str, media_type: str = "application/xml") -> FastAPI:
    bad = FastAPI()

    @bad.post("/wechat/{key}")
    async def answer(key: str) -> Response:
        return Response(body, media_type=media_type)

    return bad


def _reply(source: str, target: str, content: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{target}]]></ToUserName><FromUserName><![CDATA[{source}]]></FromUserName>"
            f"<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content></xml>")


@pytest.mark.parametrize("body", [
    "CONTROL",  # a text reply with \x0b inside: not XML 1.0
    '{"reply": "您好"}',  # JSON
    "<xml><ToUserName>",  # cut short
    "WRONG_TARGET",  # well-formed but to someone else
])
async def test_a_reply_wechat_refuses_is_an_error(settings, body) -> None:
    from app.matrix.service import load_matrix

    acc = load_matrix(settings.matrix_dir).get(PLAIN)
    if body == "CONTROL":
        body = _reply(acc.original_id, "o_x", "第一条\x0b第二条")
    elif body == "WRONG_TARGET":
        body = _reply(acc.original_id, "o_someone_else", "您好")
    app = _bad_callback(body)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bad") as c:
        res = await CallbackSimulator(acc, base_url="http://bad", client=c).text("o_x", "你好")
    assert res.status == 200 and res.error is not None and not res.is_success
    good = _bad_callback(_reply(acc.original_id, "o_x", "您好"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=good), base_url="http://good") as c:
        ok = await CallbackSimulator(acc, base_url="http://good", client=c).text("o_x", "你好")
    assert ok.error is None and ok.text == "您好"


async def test_fawu_simulate_reports_an_invalid_reply_and_exits_non_zero(settings) -> None:
    from app.matrix.service import load_matrix

    acc = load_matrix(settings.matrix_dir).get(PLAIN)
    bad = _bad_callback(_reply(acc.original_id, "o_simulator_demo", "建议\x08先协商"))
    async with served(bad) as url:
        result = await asyncio.to_thread(CliRunner().invoke, _cli(), ["simulate", PLAIN, "--url", url,
                                                                      "--text", "你好"])
    assert result.exit_code == 1, result.output
    assert "错误" in result.output and "回复无效" in result.output and "success" not in result.output


async def test_image_location_and_link_messages_arrive_with_their_fields(client) -> None:
    s = sim(client, SAFE)
    for res in (await s.image("o_kinds", "https://example.org/p.jpg"),
                await s.location("o_kinds", 30.2741, 120.1551, "云溪区司法局"),
                await s.link("o_kinds", "https://example.org/a", "劳动合同范本")):
        assert res.status == 200 and res.error is None
    rows = {r.kind: r.fields_json for r in await InboundMessage.filter(openid="o_kinds")}
    assert rows["image"]["PicUrl"] == "https://example.org/p.jpg" and rows["image"]["MediaId"]
    assert (rows["location"]["Location_X"], rows["location"]["Location_Y"]) == ("30.274100", "120.155100")
    assert rows["location"]["Label"] == "云溪区司法局" and rows["location"]["Scale"] == "15"
    assert rows["link"]["Url"] == "https://example.org/a" and rows["link"]["Title"] == "劳动合同范本"


async def test_scan_events_carry_a_ticket_and_location_its_coordinates(client) -> None:
    s = sim(client, PLAIN)
    await s.event("o_scan", "subscribe", "qrscene_board:YXJD-01")
    await s.event("o_scan", "SCAN", "board:YXJD-01", Ticket="gQticket-given")
    await s.event("o_scan", "LOCATION", Latitude=30.5, Longitude=120.25)
    rows = [r.fields_json for r in await InboundMessage.filter(openid="o_scan").order_by("id")]
    assert rows[0]["Ticket"].startswith("gQ") and rows[1]["Ticket"] == "gQticket-given"
    assert (rows[2]["Latitude"], rows[2]["Longitude"]) == ("30.500000", "120.250000") and rows[2]["Precision"]


@pytest.mark.parametrize("args, field, value", [
    (["--image", "https://example.org/p.jpg"], "PicUrl", "https://example.org/p.jpg"),
    (["--location", "30.1,120.2,街道办"], "Label", "街道办"),
    (["--link", "https://example.org/a", "--title", "范本"], "Title", "范本"),
    (["--event", "LOCATION", "--location", "30.1,120.2"], "Latitude", "30.100000"),
    (["--event", "SCAN", "--key", "board:YXJD-01", "--ticket", "gQcli"], "Ticket", "gQcli"),
])
async def test_fawu_simulate_sends_every_kind(app, settings, args, field, value) -> None:
    openid = "o_cli_" + args[0].strip("-")
    async with served(app) as url:
        result = await asyncio.to_thread(CliRunner().invoke, _cli(), ["simulate", SAFE, "--url", url,
                                                                      "--openid", openid, *args])
    assert result.exit_code == 0, result.output
    row = await InboundMessage.filter(openid=openid).order_by("-id").first()
    assert row is not None and row.fields_json[field] == value


def test_fawu_simulate_refuses_bad_coordinates(settings) -> None:
    result = CliRunner().invoke(_cli(), ["simulate", SAFE, "--location", "北纬30度"])
    assert result.exit_code != 0 and "纬度" in result.output
