"""Scans: landing views, WeChat subscribe-by-scan and SCAN, mini-program opens; no personal data."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.boards.models import BoardScan
from app.boards.service.boards import get_active_board
from app.boards.service.cards import (
    community_card_text,
    district_contacts_text,
)
from app.boards.service.errors import (
    UnknownBoard,
)
from app.boards.service.scenes import (
    board_code_from_scene,
)
from app.config import get_settings
from app.core import metrics
from app.core.clock import utcnow
from app.errors import NotFound
from app.org import service as org
from app.residents import service as residents


def visitor_hash(value: str) -> str:
    """A keyed hash of a random cookie or a resident id: counts unique visitors, identifies nobody."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:24]


# One client's views of one board within this time count as one scan (reloads, and anyone
# scripting a board's page, cannot inflate its figures; the rate limit bounds the rest).
SCAN_DEDUP = timedelta(minutes=10)


async def record_scan(*, board_code: str, kind: str, event: str, account_key: str = "",
                      resident_id: int | None = None, visitor: str = "", new_follower: bool = False,
                      client: str = "") -> Any:
    """Store one scan (no personal data) and count it in /metrics; None when the same client
    (a hashed address, or the resident) scanned this board within SCAN_DEDUP, unless it follows."""
    board = await get_active_board(board_code)
    info = await org.unit_info(board.community.code)
    if not visitor and resident_id is not None:
        visitor = visitor_hash(f"resident:{resident_id}")
    if not client and resident_id is not None:
        client = visitor[:24]
    now = utcnow()
    if client and not new_follower and await BoardScan.filter(
            board_code=board.code, client=client, at__gte=now - SCAN_DEDUP).exists():
        return None
    row = await BoardScan.create(
        board_code=board.code, community_code=info.code, township_code=info.township_code, kind=kind,
        event=event, account_key=account_key, resident_id=resident_id, visitor=visitor, client=client,
        new_follower=new_follower, at=now,
    )
    metrics.board_scans.labels(info.township_code or "", kind).inc()
    return row


async def wechat_scan(*, account_key: str, openid: str, scene: str, event: str,
                      channel: str = "wechat") -> tuple[str | None, str]:
    """A board scanned in WeChat (subscribe-by-scan, SCAN, or the mini-program opened by its code).

    Remembers the board on the resident (carried to every later step), records the scan and
    returns (board_code or None, the passive reply text: the community card).
    """
    code = board_code_from_scene(scene)
    try:
        board = await get_active_board(code or "")
    except UnknownBoard:
        return None, await district_contacts_text()
    info = await org.unit_info(board.community.code)
    await residents.ensure_identity(account_key=account_key, openid=openid)  # created first: it may race
    new_follower = event == "subscribe"
    kind = "miniprogram" if channel == "miniprogram" else "official"
    async with in_transaction():  # the board on the resident, the follow and the scan: all or none
        link = await residents.set_board(account_key=account_key, openid=openid, board_code=board.code,
                                         community_code=info.code, township_code=info.township_code)
        if new_follower:
            await residents.set_following(account_key=account_key, openid=openid, following=True,
                                          board_code=board.code)
        await record_scan(board_code=board.code, kind=kind, event=event, account_key=account_key,
                          resident_id=link.resident_id, new_follower=new_follower)
    text = await community_card_text(community_code=info.code, board_code=board.code)
    if new_follower:
        text = "欢迎关注！这是您所在社区的公共法律服务信息：\n" + text
    return board.code, text


async def resident_card_text(*, resident_id: int | None, board_code: str | None) -> str:
    """The card for "我的法律顾问": the last scanned board's community, else the resident's community."""
    if board_code:
        try:
            board = await get_active_board(board_code)
            return await community_card_text(community_code=board.community.code, board_code=board.code)
        except UnknownBoard:
            pass
    if resident_id is not None:
        try:
            r = await residents.get_resident(resident_id)
        except NotFound:
            r = None
        if r is not None and r.community_code:
            try:
                return await community_card_text(community_code=r.community_code)
            except NotFound:
                pass
    s = get_settings()
    return ("还不知道您所在的社区/村。请扫一扫小区楼道或村务公开栏里“公共法律服务公示牌”上的二维码，"
            f"我们会告诉您所在社区的法律顾问和联系电话。\n也可以直接拨打公共法律服务热线：{s.hotline}")
