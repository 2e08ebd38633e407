"""What the boards domain answers on WeChat: a board's QR scanned (subscribe or SCAN), "我的法律顾问"."""

from __future__ import annotations

from app.boards import service
from app.wechat.router import Inbound, Reply, TextReply, router

MY_ADVISOR_KEY = "boards:my_advisor"


@router.on_scene(service.OFFICIAL_PREFIX)
async def on_board_scan(inbound: Inbound) -> Reply | None:
    """Subscribe-by-scan or SCAN of a board: the community card at once, in the passive reply.

    After a scan only 3 customer-service messages are allowed within a minute, so the essential
    answer (advisor, phone, station, hotline, landing link) goes in this reply.
    """
    scene = inbound.scene
    if scene is None:
        return None
    code, text = await service.wechat_scan(account_key=inbound.account_key, openid=inbound.openid, scene=scene,
                                           event=inbound.event or "scan", channel=inbound.channel)
    if code is not None:
        inbound.board_code = code  # the stored inbound row carries the board too
    return TextReply(text)


@router.on_menu("boards:")
async def on_boards_menu(inbound: Inbound) -> Reply | None:
    """The menu key "boards:my_advisor": the card of the resident's board or community."""
    if inbound.event_key != MY_ADVISOR_KEY:
        return None
    text = await service.resident_card_text(resident_id=inbound.resident_id, board_code=inbound.board_code)
    return TextReply(text)
