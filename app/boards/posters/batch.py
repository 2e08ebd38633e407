"""Posters for many boards: gather each board's data (async, database and WeChat ledger), then render
them in a process pool (CPU) with progress callbacks. Used by ``fawu qr posters`` and bench/posters.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from app.boards import service
from app.boards.posters.render import FORMATS, SIZES, render_to_files
from app.matrix.service import get_matrix
from app.org import service as org

CHUNK = 20  # posters per pool task
POOL_MIN = 100  # below this, starting worker processes (about a second each) costs more than it saves


async def poster_data(*, board_code: str, kind: str | None = None,
                      cards: dict[str, service.CommunityCard] | None = None) -> dict[str, Any]:
    """What one poster shows (plain data, picklable): community card, board, and the QR to print."""
    board = await service.get_active_board(board_code)
    kind = kind or service.qr_kind_of(board)
    cards = cards if cards is not None else {}
    card = cards.get(board.community.code)
    if card is None:
        card = await service.community_card(community_code=board.community.code)
        cards[board.community.code] = card
    row = await service.ensure_qr(board_code=board.code, kind=kind)
    account_name = ""
    if kind == "official":
        acc = await service.account_for_board(board)
        account_name = acc.display_name
    elif kind == "miniprogram":
        mp = get_matrix().miniprogram()
        account_name = mp.display_name if mp else ""
    station = card.station or card.nearest
    return {
        "board_code": board.code, "place": board.place, "kind": kind, "account_name": account_name,
        "community": card.community_name, "township": card.township_name, "district": card.district_name,
        "advisors": [asdict(a) for a in card.advisors], "hotline": card.hotline,
        "station": asdict(station) if station else None,
        "qr_content": row.content if kind != "miniprogram" else "",
        "qr_image": Path(row.image_path).read_bytes() if kind == "miniprogram" else b"",
    }


async def collect(*, org_code: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Poster data for every active board of the district, or under one township or community."""
    boards = await org.list_boards(org_code)
    cards: dict[str, service.CommunityCard] = {}
    return [await poster_data(board_code=b.code, kind=kind, cards=cards) for b in boards
            if b.community.active]


def poster_path(out_dir: Path, data: dict[str, Any], size: str, fmt: str) -> Path:
    return out_dir / f"{data['board_code']}_{size}.{fmt}"


def render_batch(items: list[dict[str, Any]], *, out_dir: Path, size: str = "a4", fmt: str = "pdf",
                 workers: int | None = None, progress: Callable[[int], None] | None = None,
                 chunk: int = CHUNK, pool_min: int = POOL_MIN) -> list[Path]:
    """Write one file per poster into out_dir; a process pool when there is more than one chunk."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(d, str(poster_path(out_dir, d, size, fmt))) for d in items]
    chunks = [jobs[i:i + chunk] for i in range(0, len(jobs), max(1, chunk))]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    done: list[Path] = []
    if workers <= 1 or len(chunks) <= 1 or len(jobs) < pool_min:
        for part in chunks:
            done += [Path(p) for p in render_to_files(part, size, fmt)]
            if progress:
                progress(len(part))
        return done
    # spawn: the caller may hold an event loop and database connections a fork would copy
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(render_to_files, part, size, fmt) for part in chunks]
        for fut in as_completed(futures):
            paths = fut.result()
            done += [Path(p) for p in paths]
            if progress:
                progress(len(paths))
    return done
