"""Boards as this domain uses them: active boards, their QR kind and the account that owns their QR."""

from __future__ import annotations

from typing import Any

from app.boards.service.errors import (
    NoAccount,
    UnknownBoard,
)
from app.boards.service.scenes import (
    BOARD_CODE_RE,
)
from app.config import get_settings
from app.matrix.service import get_matrix
from app.org import service as org


async def get_active_board(board_code: str) -> Any:
    """The board, active, with its community; UnknownBoard for a bad, unknown or retired code."""
    if not isinstance(board_code, str) or not BOARD_CODE_RE.match(board_code):
        raise UnknownBoard(board_code=str(board_code)[:40])
    board = await org.find_board(board_code)
    if board is None or not board.active or not board.community.active:
        raise UnknownBoard(board_code=board_code)
    return board


def qr_kind_of(board: Any) -> str:
    """The board's own QR kind, else the district's setting."""
    return board.qr_kind or get_settings().qr_kind


async def account_for_board(board: Any) -> Any:
    """The official account that owns a board's QR: the township's, else the district's."""
    info = await org.unit_info(board.community.code)
    matrix = get_matrix()
    for code in (info.township_code, info.district_code):
        if code and (acc := matrix.for_unit(code)) is not None:
            return acc
    accounts = matrix.official_accounts()
    if not accounts:
        raise NoAccount()
    return accounts[0]
