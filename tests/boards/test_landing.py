"""The landing page /s/{code}: every demo board, tel: links, unknown boards, buttons, scans without PII."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.boards.models import BoardScan
from app.org.models import Board

HTML = {"accept": "text/html"}
WECHAT_UA = {"user-agent": "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Mobile MicroMessenger/8.0.47"}
ROOT = Path(__file__).resolve().parents[2]


def demo_boards() -> list[dict[str, str]]:
    with (ROOT / "content/org/boards.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


async def test_every_demo_board_renders_with_call_links(client: httpx.AsyncClient) -> None:
    advisors: dict[str, list[str]] = {}
    with (ROOT / "content/org/advisors.csv").open(encoding="utf-8-sig") as f:
        for a in csv.DictReader(f):
            advisors.setdefault(a["community_code"], []).append(a["phone"])
    for b in demo_boards():
        r = await client.get(f"/s/{b['code']}", headers=HTML)
        assert r.status_code == 200, b["code"]
        assert b["place"] in r.text
        for phone in advisors.get(b["community_code"], []):
            assert f'href="tel:{phone}"' in r.text
        assert 'href="tel:12348"' in r.text
        assert f'/s/{b["code"]}/go/consult?board={b["code"]}' in r.text


async def test_page_weight_and_no_external_assets(client: httpx.AsyncClient) -> None:
    r = await client.get("/s/JXSQ01", headers=HTML)
    total = len(r.content)
    for href in re.findall(r'(?:href|src)="(/static/[^"]+)"', r.text):
        total += len((await client.get(href)).content)
    assert total < 100 * 1024
    assert not re.search(r'(?:src|href)="(?:https?:)?//(?!uri\.amap\.com)', r.text)


async def test_map_link_when_coordinates_exist(client: httpx.AsyncClient) -> None:
    r = await client.get("/s/JXSQ01", headers=HTML)  # the community desk has no coordinates; the station has
    assert "https://uri.amap.com/marker?position=120.158,30.276" in r.text
    assert "云溪街道公共法律服务工作站" in r.text and "周一至周五 8:30-12:00" in r.text


async def test_view_is_a_scan_without_personal_data(client: httpx.AsyncClient) -> None:
    r = await client.get("/s/TYC01", headers={**HTML, "x-forwarded-for": "203.0.113.9"})
    vid = r.cookies.get("fawu_vid")
    assert vid and len(vid) == 32 and r.cookies.get("fawu_board") == "TYC01"
    await client.get("/s/TYC01", headers=HTML)  # same browser again: the same client within 10 minutes
    back = await client.get("/s/TYC01?back=1", headers=HTML)  # back from a button's page: not a scan
    assert back.status_code == 200 and "桃源村" in back.text
    app = client._transport.app  # type: ignore[attr-defined]
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.30.0.9", 1)),
                              base_url=client.base_url)  # another phone, another address
    async with other:
        await other.get("/s/TYC01", headers=HTML)
    scans = await BoardScan.filter(board_code="TYC01").values()
    assert len(scans) == 2 and {s["kind"] for s in scans} == {"url"} and {s["event"] for s in scans} == {"view"}
    assert len({s["visitor"] for s in scans}) == 2
    for s in scans:
        assert vid not in s["visitor"] and "203.0.113.9" not in str(s) and "10.30.0.9" not in str(s)
        assert s["resident_id"] is None and len(s["client"]) == 24
        assert (s["community_code"], s["township_code"]) == ("TYC", "TYZ")


async def test_unknown_and_retired_boards_get_a_helpful_page(client: httpx.AsyncClient) -> None:
    await Board.filter(code="WJSQ01").update(active=False)
    for code in ("NOPE99", "WJSQ01", "bad-code!"):
        r = await client.get(f"/s/{code}", headers=HTML)
        assert r.status_code == 404
        assert "已停用" in r.text and 'href="tel:12348"' in r.text and "云溪区公共法律服务中心" in r.text
        assert "0898-62001234" in r.text
    assert await BoardScan.all().count() == 0


@pytest.mark.parametrize("action,label", [("booking", "预约办事"), ("legal-aid", "申请法律援助"),
                                          ("mediation", "申请人民调解"), ("articles", "本镇街普法文章")])
async def test_buttons_never_404(client: httpx.AsyncClient, action: str, label: str) -> None:
    r = await client.get(f"/s/JXSQ01/go/{action}?board=JXSQ01", headers=HTML, follow_redirects=True)
    assert r.status_code == 200
    if "/s/JXSQ01/go/" in str(r.url):  # the feature is not built yet: the friendly page
        assert "即将开放" in r.text and label in r.text and "tel:12348" in r.text
    else:  # the feature exists: the board is carried
        assert "board=JXSQ01" in str(r.url)


async def test_consult_button_reaches_a_working_form(client: httpx.AsyncClient) -> None:
    r = await client.get("/s/BHSQ01/go/consult?board=BHSQ01", headers=HTML, follow_redirects=True)
    assert r.status_code == 200
    if "/s/BHSQ01/consult" not in str(r.url):
        assert "board=BHSQ01" in str(r.url)  # the consultation's own page took over
        return
    token = re.search(r'name="token" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    ans = await client.post("/s/BHSQ01/consult", data={"text": "公司拖欠工资三个月怎么办", "token": token},
                            headers=HTML)
    assert ans.status_code == 200
    if "即将开放" not in ans.text:  # the consultation service answered
        assert "公司拖欠工资三个月怎么办" in ans.text and "解答" in ans.text
    bad = await client.post("/s/BHSQ01/consult", data={"text": "问题", "token": "forged"}, headers=HTML)
    assert bad.status_code == 400 and "页面已过期" in bad.text


async def test_inside_wechat_the_page_offers_the_official_account(client: httpx.AsyncClient,
                                                                   emulator: Any) -> None:
    import io

    import zxingcpp
    from PIL import Image

    r = await client.get("/s/SQSQ01", headers={**HTML, **WECHAT_UA})
    assert "关注「石桥镇法律服务」" in r.text and "/s/SQSQ01/follow.png" in r.text
    plain = await client.get("/s/SQSQ01", headers=HTML)
    assert "follow.png" not in plain.text
    png = await client.get("/s/SQSQ01/follow.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded and decoded[0].text.startswith("http://weixin.qq.com/q/")


async def test_board_card_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/boards/LHC01")
    assert r.status_code == 200
    body = r.json()
    assert body["community_name"] == "梨花村" and body["advisors"][0]["phone"] == "13900000008"
    assert body["station"]["map_url"].startswith("https://uri.amap.com/marker?position=120.0833,30.3012")
    assert (await client.get("/api/boards/NOPE99")).status_code == 404
