"""Boards JSON API: a board's public community card (for the mini-program's community page)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from app.boards import service

router = APIRouter(prefix="/api/boards", tags=["boards"])


@router.get("/{board_code}")
async def board_card(board_code: str) -> dict[str, Any]:
    """The community card of an active board: advisors, nearest desk, township station, hotline."""
    board = await service.get_active_board(board_code)
    card = await service.community_card(community_code=board.community.code, board_code=board.code)
    out = asdict(card)
    for key in ("nearest", "station"):
        point = getattr(card, key)
        if out[key] is not None and point is not None:
            out[key]["map_url"] = point.map_url
    out["text"] = service.card_text(card)
    return out
