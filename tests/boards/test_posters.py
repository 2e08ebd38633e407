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
from tests import needs

ROOT = Path(__file__).resolve().parents[2]


def decode(path_or_bytes: Path | bytes, *, dpi: int | None = None) -> list[str]:
    img = Image.open(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    if dpi is not None:  # a phone camera sees far fewer pixels than 300 dpi
        k = dpi / 300
        img = img.convert("L").resize((round(img.width * k), round(img.height * k)), Image.Resampling.BILINEAR)
    return [r.text for r in zxingcpp.read_barcodes(img)]


@needs.font
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


@needs.pdf_font
async def test_pdf_poster_decodes_after_rasterising(app: Any, settings: Any, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs pdftoppm: poppler-utils not installed (make fonts, as root on Debian)")
    items = await batch.collect(org_code="TYC", kind="url")
    for size in ("a4", "card"):
        paths = batch.render_batch(items, out_dir=tmp_path, size=size, fmt="pdf", workers=1)
        for d, pdf in zip(items, sorted(paths), strict=True):
            assert pdf.read_bytes().startswith(b"%PDF")
            out = tmp_path / f"{pdf.stem}"
            subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(out)], check=True)
            assert decode(out.with_suffix(".png")) == [f"{settings.public_base_url}/s/{d['board_code']}"]


@needs.font
async def test_official_account_poster_decodes_to_the_ticket_of_its_scene(app: Any, emulator: Any) -> None:
    from app.boards.models import BoardQR

    data = await batch.poster_data(board_code="SQSQ03", kind="official")
    assert data["account_name"] == "石桥镇法律服务"
    row = await BoardQR.get(account_key="yx_shiqiao", kind="official", scene="board:SQSQ03")
    texts = decode(render.render(data, "card", "png"))
    assert texts == [row.content]
    acc = emulator.by_key("yx_shiqiao")
    assert acc.qrcodes[row.ticket]["scene"] == "board:SQSQ03" and acc.qrcodes[row.ticket]["url"] == row.content


@needs.font
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


def _clear_font_caches() -> None:
    fonts.find_cjk_font.cache_clear()
    render._pil_font.cache_clear()
    render._pdf_font.cache_clear()
    render._pdf_widths.cache_clear()
    render._png_widths.cache_clear()
    render._text_mask.cache_clear()


def test_missing_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    _clear_font_caches()
    try:
        for kind in ("regular", "bold", "pdf"):
            with pytest.raises(fonts.CJKFontMissing) as exc:
                fonts.find_cjk_font(kind)
            assert "fonts-wqy-microhei" in exc.value.message_zh and exc.value.status == 503
    finally:
        _clear_font_caches()


def test_noto_cjk_alone_is_no_pdf_font(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Noto CJK (CFF outlines) draws PNG posters but cannot be embedded in a PDF by reportlab."""
    (tmp_path / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    _clear_font_caches()
    try:
        assert fonts.find_cjk_font("regular")[0].endswith("NotoSansCJK-Regular.ttc")
        with pytest.raises(fonts.CJKFontMissing):
            fonts.find_cjk_font("pdf")
    finally:
        _clear_font_caches()


@needs.pdf_font
async def test_pdf_poster_embeds_its_font(app: Any, tmp_path: Path) -> None:
    """The PDF carries the glyphs it prints (a TrueType subset), not a reference to a font the
    printer may lack (the CID font STSong-Light printed boxes or another face on other viewers)."""
    data = await batch.poster_data(board_code="TYC01", kind="url")
    pdf = render.render(data, "a4", "pdf")
    assert b"/FontFile2" in pdf and b"STSong" not in pdf
    assert b"/Subtype /TrueType" in pdf or b"/Subtype /Type0" in pdf
    if shutil.which("pdffonts"):
        path = tmp_path / "p.pdf"
        path.write_bytes(pdf)
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = listing.splitlines()[2:]
        assert rows and all(" yes " in row for row in rows), listing  # every font: emb yes


@needs.font
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
