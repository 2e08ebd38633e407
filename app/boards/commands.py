"""``fawu`` subcommands of the boards domain: ``fawu qr posters`` and ``fawu boards add``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from app.boards.posters.batch import collect, render_batch
from app.boards.service import PERMANENT_QR_LIMIT, BoardsImportError, add_boards, ledger_counts
from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.errors import FawuError
from app.matrix.service import load_matrix, set_matrix
from app.wechat import lifecycle


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""
    cli.add_command(qr)
    cli.add_command(boards)


@click.group()
def qr() -> None:
    """Board QR codes (公示牌二维码) and their posters."""


@qr.command("posters")
@click.option("--org", "org_code", default=None, help="One community or township code (default: the whole district).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "png"]), default="pdf", show_default=True)
@click.option("--size", type=click.Choice(["a4", "card"]), default="a4", show_default=True,
              help="a4 (210×297 mm) or card (A6, 105×148 mm).")
@click.option("--kind", type=click.Choice(["url", "official", "miniprogram"]), default=None,
              help="QR kind for every poster (default: each board's own, else the qr_kind setting).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the files (default: the poster_dir setting).")
@click.option("--workers", type=int, default=None, help="Rendering processes (default: the CPU count).")
def posters(org_code: str | None, fmt: str, size: str, kind: str | None, out_dir: Path | None,
            workers: int | None) -> None:
    """Print-ready posters (QR, community, advisors and phones, 12348, station) for every active board."""
    settings = settings_or_exit()
    out_dir = out_dir or settings.poster_dir

    async def gather() -> list[dict[str, Any]]:
        set_matrix(load_matrix(settings.matrix_dir))
        try:
            return await collect(org_code=org_code, kind=kind)
        finally:
            await lifecycle.shutdown()

    try:
        items = run_async(with_db(gather))
    except FawuError as exc:
        fail(exc.message_zh)
        return
    if not items:
        fail("没有找到任何在用的公示牌（请先 fawu org import，或检查 --org）。")
    start = time.perf_counter()
    with click.progressbar(length=len(items), label=f"生成海报 ({fmt}, {size})") as bar:
        try:
            paths = render_batch(items, out_dir=out_dir, size=size, fmt=fmt, workers=workers, progress=bar.update)
        except FawuError as exc:
            fail(exc.message_zh)
            return
    elapsed = time.perf_counter() - start
    click.echo(f"已生成 {len(paths)} 张海报 → {out_dir}（{elapsed:.1f} 秒，{len(paths) / max(elapsed, 1e-9):.1f} 张/秒）")


@click.group()
def boards() -> None:
    """Notice boards (公示牌)."""


@boards.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
def add_cmd(file: Path, dry_run: bool) -> None:
    """Add boards in bulk from a CSV (code,community_code,place[,place_kind,qr_kind,active]).

    All or nothing: one bad row, or a code that already exists, adds nothing.
    """
    async def go() -> int:
        return await add_boards(data=file.read_bytes(), name=file.name, dry_run=dry_run)

    try:
        n = run_async(with_db(go))
    except BoardsImportError as exc:
        fail(exc.message_zh)
        return
    click.echo(f"校验通过，共 {n} 块公示牌，未写入 (dry run)" if dry_run else f"已添加 {n} 块公示牌")


@qr.command("ledger")
def ledger_cmd() -> None:
    """Permanent official-account QR codes used per account (WeChat allows 100,000 each)."""
    counts = run_async(with_db(ledger_counts))
    if not counts:
        click.echo("尚未生成任何公众号永久二维码")
    for key, n in sorted(counts.items()):
        click.echo(f"{key}: {n} / {PERMANENT_QR_LIMIT}")
