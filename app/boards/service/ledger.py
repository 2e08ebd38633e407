"""The QR ledger: one row per account, kind and scene, created once (WeChat is called only then)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError

from app.boards.models import BoardQR
from app.boards.service.boards import account_for_board, get_active_board, qr_kind_of
from app.boards.service.errors import (
    BoardsError,
    NoAccount,
    QrLimitReached,
)
from app.boards.service.scenes import (
    KINDS,
    MP_PAGE,
    landing_url,
    mp_scene,
    official_scene,
)
from app.config import get_settings
from app.errors import InvalidInput
from app.matrix.service import get_matrix
from app.wechat.client import get_client

PERMANENT_QR_LIMIT = 100_000  # permanent QR codes per official account (WeChat rule)

_locks: dict[tuple[str, str, str], asyncio.Lock] = {}


def wxacode_dir() -> Path:
    return get_settings().var_dir / "wxacode"


async def ensure_qr(*, board_code: str, kind: str | None = None) -> Any:
    """The board's QR in the ledger, created once (WeChat is called only when the row is missing)."""
    board = await get_active_board(board_code)
    kind = kind or qr_kind_of(board)
    if kind not in KINDS:
        raise InvalidInput(f"二维码类型应为 url/official/miniprogram，现为 {kind!r}。")
    if kind == "url":
        content = landing_url(board.code)
        try:
            row, _ = await BoardQR.get_or_create(account_key="url", kind="url", scene=board.code,
                                                 defaults={"board_code": board.code, "content": content})
        except IntegrityError:  # created by a concurrent request
            row = await BoardQR.get(account_key="url", kind="url", scene=board.code)
        if row.content != content:  # the public address changed: the URL QR follows it
            row.content = content
            await row.save(update_fields=["content"])
        return row
    if kind == "official":
        account = await account_for_board(board)
        scene = official_scene(board.code)
    else:
        account = get_matrix().miniprogram()
        if account is None:
            raise NoAccount("账号矩阵中没有小程序，无法生成小程序码。")
        scene = mp_scene(board.code)
    key = (account.key, kind, scene)
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        existing = await BoardQR.get_or_none(account_key=account.key, kind=kind, scene=scene)
        if existing is not None and (kind == "official" or Path(existing.image_path).is_file()):
            return existing
        client = get_client()
        if kind == "official":
            if await BoardQR.filter(account_key=account.key, kind="official").count() >= PERMANENT_QR_LIMIT:
                raise QrLimitReached(account_key=account.key)
            res = await client.create_qrcode(account.key, scene_str=scene, permanent=True)
            values = {"board_code": board.code, "ticket": str(res.get("ticket", "")),
                      "content": str(res.get("url", ""))}
        else:
            image = await client.get_wxacode_unlimited(scene=scene, page=MP_PAGE, check_path=False)
            path = wxacode_dir() / f"{board.code}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(path.write_bytes, image)
            values = {"board_code": board.code, "image_path": str(path), "content": scene}
        if existing is not None:
            await BoardQR.filter(id=existing.id).update(**values)
            return await BoardQR.get(id=existing.id)
        try:
            return await BoardQR.create(account_key=account.key, kind=kind, scene=scene, **values)
        except IntegrityError:  # another process created it meanwhile
            return await BoardQR.get(account_key=account.key, kind=kind, scene=scene)


async def ledger_counts() -> dict[str, int]:
    """Permanent official-account QR codes used per account (of PERMANENT_QR_LIMIT)."""
    rows = await BoardQR.filter(kind="official").values_list("account_key", flat=True)
    out: dict[str, int] = {}
    for k in rows:
        out[str(k)] = out.get(str(k), 0) + 1
    return out


async def follow_qr_content(*, board_code: str) -> str:
    """What the follow code on the landing page encodes: the board's official-account QR (ledger)."""
    row = await ensure_qr(board_code=board_code, kind="official")
    if not row.content:
        raise BoardsError("公众号二维码暂不可用。")
    return str(row.content)
