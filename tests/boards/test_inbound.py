"""A board scanned in WeChat: subscribe-by-scan and SCAN answered with the community card, attributed."""

from __future__ import annotations

import time
from typing import Any

import httpx

from app.boards.models import BoardScan
from app.core import metrics
from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from app.residents.models import Resident, ResidentAccount
from app.wechat.models import InboundMessage

SHIQIAO = "yx_shiqiao"  # safe mode (encrypted): the township account of board SQSQ01


def sim(client: httpx.AsyncClient, key: str = SHIQIAO) -> CallbackSimulator:
    return CallbackSimulator(get_matrix().get(key), base_url=str(client.base_url), client=client)


def scans_counted(township: str, kind: str) -> float:
    return metrics.board_scans.labels(township, kind)._value.get()


def assert_card(text: str | None) -> None:
    assert text is not None
    assert "石桥社区" in text and "吴秀英" in text and "13900000010" in text and "赵国平" in text
    assert "石桥镇公共法律服务工作站" in text and "石桥街3号" in text and "12348" in text
    assert "/s/SQSQ01" in text


async def test_subscribe_by_scan_gets_card_and_is_attributed(client: httpx.AsyncClient) -> None:
    before = scans_counted("SQZ", "official")
    res = await sim(client).event("o_new", "subscribe", "qrscene_board:SQSQ01", Ticket="gQticket")
    assert res.encrypted_reply
    assert_card(res.text)
    assert res.text is not None and res.text.startswith("欢迎关注")
    link = await ResidentAccount.get(account_key=SHIQIAO, openid="o_new")
    assert link.following and link.source_board_code == "SQSQ01" and link.last_board_code == "SQSQ01"
    resident = await Resident.get(id=link.resident_id)
    assert (resident.community_code, resident.township_code) == ("SQSQ", "SQZ")
    scan = await BoardScan.get(board_code="SQSQ01")
    assert (scan.kind, scan.event, scan.new_follower, scan.account_key) == ("official", "subscribe", True, SHIQIAO)
    assert scan.resident_id == resident.id and scan.visitor and scan.township_code == "SQZ"
    row = await InboundMessage.get(openid="o_new")
    assert row.board_code == "SQSQ01"
    assert scans_counted("SQZ", "official") == before + 1


async def test_scan_when_following_gets_card_and_updates_board(client: httpx.AsyncClient) -> None:
    s = sim(client)
    await s.event("o_old", "subscribe")  # followed earlier by search: the welcome, no board
    res = await s.event("o_old", "SCAN", "board:SQSQ01", Ticket="gQticket")
    assert_card(res.text)
    link = await ResidentAccount.get(account_key=SHIQIAO, openid="o_old")
    assert link.last_board_code == "SQSQ01" and link.source_board_code is None
    scan = await BoardScan.get(board_code="SQSQ01")
    assert (scan.event, scan.new_follower) == ("scan", False)
    # another board later: the resident's board moves with them
    res = await s.event("o_old", "SCAN", "board:LWC01", Ticket="gQticket2")
    assert res.text is not None and "柳湾村" in res.text and "陈丽华" in res.text
    link = await ResidentAccount.get(account_key=SHIQIAO, openid="o_old")
    assert link.last_board_code == "LWC01"


async def test_retired_or_unknown_board_gets_district_contacts(client: httpx.AsyncClient) -> None:
    from app.org.models import Board

    await Board.filter(code="SQSQ02").update(active=False)
    for key in ("board:SQSQ02", "board:NOPE99"):
        res = await sim(client).event("o_x", "SCAN", key, Ticket="t")
        assert res.text is not None and "已停用" in res.text and "12348" in res.text
        assert "云溪区公共法律服务中心" in res.text
    assert await BoardScan.all().count() == 0


async def test_my_advisor_menu(client: httpx.AsyncClient) -> None:
    s = sim(client)
    res = await s.event("o_menu", "CLICK", "boards:my_advisor")
    assert res.text is not None and "扫一扫" in res.text and "12348" in res.text  # nothing known yet
    await s.event("o_menu", "SCAN", "board:DPC01", Ticket="t")
    # WeChat de-duplicates events by sender + CreateTime: a later click has a later time
    res = await s.event("o_menu", "CLICK", "boards:my_advisor", create_time=int(time.time()) + 2)
    assert res.text is not None and "大坪村" in res.text and "李国平" in res.text and "13900000014" in res.text


async def test_plain_account_district_board(client: httpx.AsyncClient, settings: Any) -> None:
    """A board of a township without its own account is answered on the district account too."""
    res = await sim(client, "yx_district").event("o_d", "subscribe", "qrscene_board:JXSQ01", Ticket="t")
    assert res.text is not None and "锦绣社区" in res.text and "徐志强" in res.text
