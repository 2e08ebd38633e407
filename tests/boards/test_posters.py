"""Posters: the printed QR decodes (zxing-cpp) back to the right board, PDF and PNG, both sizes; the CLI."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from app.boards.posters import batch, fonts, render

ROOT = Path(__file__).resolve().parents[2]


def decode(path_or_bytes: Path | bytes, *, dpi: int | None = None) -> list[str]:
    img = Image.open(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    if dpi is not None:  # a phone camera sees far fewer pixels than 300 dpi
        k = dpi / 300
        img = img.convert("L").resize((round(img.width * k), round(img.height * k)), Image.Resampling.BILINEAR)
    return [r.text for r in zxingcpp.read_barcodes(img)]


@pytest.mark.parametrize("size", ["a4", "card"])
async def test_png_posters_decode_to_each_boards_url(app: Any, settings: Any, tmp_path: Path, size: str) -> None:
    items = await batch.collect(org_code="JXSQ", kind="url")
    assert [d["board_code"] for d in items] == ["JXSQ01", "JXSQ02", "JXSQ03", "JXSQ04"]
    paths = batch.render_batch(items, out_dir=tmp_path, size=size, fmt="png", workers=1)
    for d, path in zip(items, sorted(paths), strict=True):
        img = Image.open(path)
        w_mm = img.width / 300 * 25.4
        assert abs(w_mm - render.SIZES[size][0]) < 0.5 and img.info["dpi"][0] == pytest.approx(300, abs=1)
        expected = f"{settings.public_base_url}/s/{d['board_code']}"
        assert decode(path) == [expected]
        assert decode(path, dpi=75) == [expected]  # still readable from a coarse look


async def test_pdf_poster_decodes_after_rasterising(app: Any, settings: Any, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot rasterise the PDF to decode it")
    items = await batch.collect(org_code="TYC", kind="url")
    for size in ("a4", "card"):
        paths = batch.render_batch(items, out_dir=tmp_path, size=size, fmt="pdf", workers=1)
        for d, pdf in zip(items, sorted(paths), strict=True):
            assert pdf.read_bytes().startswith(b"%PDF")
            out = tmp_path / f"{pdf.stem}"
            subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(out)], check=True)
            assert decode(out.with_suffix(".png")) == [f"{settings.public_base_url}/s/{d['board_code']}"]


async def test_official_account_poster_decodes_to_the_ticket_of_its_scene(app: Any, emulator: Any) -> None:
    from app.boards.models import BoardQR

    data = await batch.poster_data(board_code="SQSQ03", kind="official")
    assert data["account_name"] == "石桥镇法律服务"
    row = await BoardQR.get(account_key="yx_shiqiao", kind="official", scene="board:SQSQ03")
    texts = decode(render.render(data, "card", "png"))
    assert texts == [row.content]
    acc = emulator.by_key("yx_shiqiao")
    assert acc.qrcodes[row.ticket]["scene"] == "board:SQSQ03" and acc.qrcodes[row.ticket]["url"] == row.content


async def test_miniprogram_poster_decodes_to_its_page_and_scene(app: Any, emulator: Any, settings: Any,
                                                                tmp_path: Path) -> None:
    from app.config import set_settings

    set_settings(settings.model_copy(update={"var_dir": tmp_path}))
    data = await batch.poster_data(board_code="LHC01", kind="miniprogram")
    assert decode(render.render(data, "a4", "png")) == ["pages/community/index?scene=b=LHC01"]
    assert data["account_name"] == "云溪法务"


async def test_layout_has_what_a_resident_needs(app: Any) -> None:
    data = await batch.poster_data(board_code="TYC01", kind="url")
    texts = " ".join(str(e.get("text", "")) for e in render.layout(data, "a4")["elements"])
    for needle in ("桃源村", "郭秀英", "13900000006", "赵晓梅", "13900000007", "12348", "桃源镇公共法律服务工作站",
                   "桃源大道16号", "8:30-12:00", "扫一扫", "法律援助"):
        assert needle in texts
    assert any(e["type"] == "qr" for e in render.layout(data, "card")["elements"])


def test_missing_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    fonts.find_cjk_font.cache_clear()
    render._pil_font.cache_clear()
    try:
        with pytest.raises(fonts.CJKFontMissing) as exc:
            fonts.find_cjk_font()
        assert "fonts-noto-cjk" in exc.value.message_zh
    finally:
        fonts.find_cjk_font.cache_clear()
        render._pil_font.cache_clear()


def test_font_found_here() -> None:
    path, index = fonts.find_cjk_font()
    assert Path(path).is_file() and index >= 0


def test_cli_boards_add_and_posters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fawu boards add`` then ``fawu qr posters`` on a file database, as an operator runs them."""
    from tortoise import Tortoise

    from app import wiring
    from app.cli import cli
    from app.config import set_settings
    from app.db import tortoise_config

    db_url = f"sqlite://{tmp_path}/fawu.sqlite3"
    env = {"FAWU_DATABASE_URL": db_url, "FAWU_MATRIX_DIR": str(ROOT / "matrix_accounts"),
           "FAWU_CONTENT_DIR": str(ROOT / "content"), "FAWU_VAR_DIR": str(tmp_path / "var"),
           "FAWU_EMULATOR_AUTOSTART": "false", "FAWU_LOG_LEVEL": "WARNING",
           "FAWU_PUBLIC_BASE_URL": "https://fawu.example.cn", "FAWU_CONFIG": ""}
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    async def schema() -> None:
        await Tortoise.init(config=tortoise_config(db_url))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()

    asyncio.run(schema())

    async def no_migrations(*_: Any, **__: Any) -> list[str]:
        return []  # the schema is built above; migrations have their own tests (tests/core)

    monkeypatch.setattr("app.db.migrate", no_migrations)
    set_settings(None)
    for mod in wiring.load(wiring.COMMAND_MODULES):
        mod.register(cli)
    runner = CliRunner()
    try:
        r = runner.invoke(cli, ["org", "import"])
        assert r.exit_code == 0, r.output
        good = tmp_path / "new.csv"
        good.write_text("code,community_code,place\nQSC90,QSC,青山村便民服务点\n", encoding="utf-8-sig")
        bad = tmp_path / "bad.csv"
        bad.write_text("code,community_code,place\nQSC91,QSC,好的一行\nQSC01,QSC,已存在\n", encoding="utf-8")
        r = runner.invoke(cli, ["boards", "add", str(bad)])
        assert r.exit_code != 0 and "已存在" in r.output and "第3行" in r.output
        r = runner.invoke(cli, ["boards", "add", str(good)])
        assert r.exit_code == 0 and "已添加 1 块公示牌" in r.output, r.output
        out = tmp_path / "posters"
        r = runner.invoke(cli, ["qr", "posters", "--org", "QSC", "--format", "png", "--size", "card", "--kind", "url",
                                "--out", str(out), "--workers", "1"])
        assert r.exit_code == 0, r.output
        files = sorted(p.name for p in out.iterdir())
        assert files == ["QSC01_card.png", "QSC02_card.png", "QSC03_card.png", "QSC90_card.png"]
        assert decode(out / "QSC90_card.png") == ["https://fawu.example.cn/s/QSC90"]
        r = runner.invoke(cli, ["qr", "posters", "--org", "NOPE", "--out", str(out)])
        assert r.exit_code != 0 and "NOPE" in r.output
        r = runner.invoke(cli, ["qr", "ledger"])
        assert r.exit_code == 0 and "尚未生成" in r.output
    finally:
        set_settings(None)
