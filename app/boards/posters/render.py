"""Draw one poster from the jinja2 layout: PDF with reportlab (an embedded TrueType CJK font, vector QR)
and PNG with Pillow (300 dpi, palette image, a CJK font found on the machine). Pure CPU, no database.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from PIL import Image, ImageDraw, ImageFont

from app.boards import qr as qrmod
from app.boards.posters.fonts import find_cjk_font

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
LAYOUT_TEMPLATE = "boards/poster.json.j2"
SIZES: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "card": (105.0, 148.0)}  # mm
BASE_WIDTH = 210.0  # the layout is written for A4; other sizes scale it
DPI = 300
PDF_FONT = "FawuCJK"  # registered name of the embedded font (fonts.find_cjk_font("pdf"))
FORMATS = ("pdf", "png")


class LayoutError(ValueError):
    """The layout template produced something that is not a valid poster layout."""


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=False,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def layout(data: dict[str, Any], size: str) -> dict[str, Any]:
    """The poster's elements (A4 millimetres) from the template."""
    text = _env().get_template(LAYOUT_TEMPLATE).render(p=data, size=size)
    try:
        out = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayoutError(f"{LAYOUT_TEMPLATE} did not render valid JSON: {exc}") from exc
    if not isinstance(out, dict) or not isinstance(out.get("elements"), list):
        raise LayoutError(f"{LAYOUT_TEMPLATE} must render an object with an elements list")
    return out


def _wrap(text: str, width: float, measure: Any, max_lines: int) -> list[str]:
    """Break text into lines no wider than width (any character may break: Chinese has no spaces).

    Widths are summed per character (``measure`` of one character, cached by the caller): exact for
    CJK, close enough for Latin text on a poster.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for ch in para:
            w = measure(ch)
            if line and used + w > width:
                lines.append(line)
                line, used = ("", 0.0) if ch == " " else (ch, w)
            else:
                line, used = line + ch, used + w
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        ell = measure("…")
        while last and sum(measure(c) for c in last) + ell > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _char_widths(measure: Any) -> Any:
    cache: dict[str, float] = {}

    def width(ch: str) -> float:
        w = cache.get(ch)
        if w is None:
            w = cache[ch] = measure(ch)
        return w

    return width


def _hex(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


# ---- PDF ----

@lru_cache(maxsize=1)
def _pdf_font() -> str:
    """Register the embeddable CJK font once per process. Not a CID font (STSong-Light): those are not
    embedded, so each viewer substitutes its own font, or prints boxes where it has none."""
    # function-level: reportlab loads only in poster runs (heavy; worker processes)
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path, index = find_cjk_font("pdf")
    pdfmetrics.registerFont(TTFont(PDF_FONT, path, subfontIndex=index))
    return PDF_FONT


def _qr_image_reader(data: dict[str, Any]) -> Any:
    # function-level: reportlab loads only in poster runs (heavy; worker processes)
    from reportlab.lib.utils import ImageReader

    return ImageReader(io.BytesIO(data["qr_image"]))


def render_pdf(data: dict[str, Any], size: str) -> bytes:
    """One poster as a one-page PDF (vector QR; text in the embedded subset of the CJK font)."""
    # function-level: reportlab loads only in poster runs (heavy; worker processes)
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _pdf_font()
    w_mm, h_mm = SIZES[size]
    k = w_mm / BASE_WIDTH
    spec = layout(data, size)
    buf = io.BytesIO()
    # the initial font is ours too: else reportlab names Helvetica, a font the PDF does not carry
    c = canvas.Canvas(buf, pagesize=(w_mm * mm, h_mm * mm), pageCompression=1, initialFontName=font)
    c.setTitle(f"{data.get('community', '')} {data.get('board_code', '')}")
    c.setCreator("fawu")
    page_h = h_mm * mm

    def top(y_mm: float) -> float:
        return page_h - y_mm * k * mm

    bg = spec.get("background", "#ffffff")
    c.setFillColorRGB(*(v / 255 for v in _hex(bg)))
    c.rect(0, 0, w_mm * mm, page_h, stroke=0, fill=1)
    for el in spec["elements"]:
        t = el.get("type")
        if t == "rect":
            c.setFillColorRGB(*(v / 255 for v in _hex(el.get("fill", "#000000"))))
            c.rect(el["x"] * k * mm, top(el["y"] + el["h"]), el["w"] * k * mm, el["h"] * k * mm, stroke=0, fill=1)
        elif t == "text":
            pt = float(el["size"]) * k
            width = el["w"] * k * mm
            lines = _wrap(str(el.get("text", "")), width, _pdf_widths(pt), int(el.get("max_lines", 1)))
            rgb = tuple(v / 255 for v in _hex(el.get("color", "#000000")))
            c.setFillColorRGB(*rgb)
            c.setStrokeColorRGB(*rgb)
            c.setLineWidth(pt * 0.035)
            lh = pt * float(el.get("line_height", 1.25))
            x0 = el["x"] * k * mm
            for i, line in enumerate(lines):
                y = top(el["y"]) - pt * 0.88 - i * lh
                align = el.get("align", "left")
                lw = stringWidth(line, font, pt)
                x = x0 + (width - lw) / 2 if align == "center" else (x0 + width - lw if align == "right" else x0)
                text = c.beginText(x, y)
                text.setFont(font, pt)
                # the font has no bold face: bold is fill plus a thin stroke of the same colour
                text.setTextRenderMode(2 if el.get("bold") else 0)
                text.textOut(line)
                c.drawText(text)
        elif t == "qr":
            side = el["size"] * k * mm
            x0, y0 = el["x"] * k * mm, top(el["y"] + el["size"])
            if data.get("qr_image"):
                c.drawImage(_qr_image_reader(data), x0, y0, side, side)
                continue
            m = qrmod.matrix(data["qr_content"])
            n = len(m) + 2 * qrmod.QUIET
            cell = side / n
            c.setFillColorRGB(1, 1, 1)
            c.rect(x0, y0, side, side, stroke=0, fill=1)
            c.setFillColorRGB(0, 0, 0)
            p = c.beginPath()
            for r, row in enumerate(m):
                ytop = y0 + side - (r + qrmod.QUIET) * cell
                col = 0
                while col < len(row):
                    if row[col]:
                        start = col
                        while col < len(row) and row[col]:
                            col += 1
                        p.rect(x0 + (start + qrmod.QUIET) * cell, ytop - cell, (col - start) * cell, cell)
                    else:
                        col += 1
            c.drawPath(p, stroke=0, fill=1)
        else:
            raise LayoutError(f"unknown element type {t!r} in {LAYOUT_TEMPLATE}")
    c.showPage()
    c.save()
    return buf.getvalue()


# ---- PNG ----

@lru_cache(maxsize=64)
def _pdf_widths(pt: float) -> Any:
    # function-level: reportlab loads only in poster runs (heavy; worker processes)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return _char_widths(lambda s: stringWidth(s, _pdf_font(), pt))


@lru_cache(maxsize=64)
def _png_widths(px: int, bold: bool) -> Any:
    return _char_widths(_pil_font(px, bold).getlength)


@lru_cache(maxsize=4096)
def _text_mask(line: str, px: int, bold: bool) -> tuple[Any, tuple[int, int], float]:
    """A line of text as a 1-bit mask (cached: titles, hotline and advisors repeat across posters)."""
    font = _pil_font(px, bold)
    left, top, right, bottom = font.getbbox(line, anchor="la")
    mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
    d = ImageDraw.Draw(mask)
    d.fontmode = "1"
    d.text((-left, -top), line, font=font, fill=1, anchor="la")
    return mask, (left, top), font.getlength(line)


@lru_cache(maxsize=64)
def _pil_font(px: int, bold: bool) -> Any:
    path, index = find_cjk_font("bold" if bold else "regular")
    return ImageFont.truetype(path, px, index=index)


def render_png(data: dict[str, Any], size: str) -> bytes:
    """One poster as a 300 dpi PNG (palette image: small and fast to write)."""
    w_mm, h_mm = SIZES[size]
    k = w_mm / BASE_WIDTH
    px_per_mm = DPI / 25.4
    spec = layout(data, size)
    colors: dict[tuple[int, int, int], int] = {}

    def ink(color: str) -> int:
        rgb = _hex(color)
        if rgb not in colors:
            if len(colors) >= 255:
                raise LayoutError("too many colours in the poster layout (at most 255)")
            colors[rgb] = len(colors)
        return colors[rgb]

    def px(v_mm: float) -> int:
        return round(v_mm * k * px_per_mm)

    W, H = round(w_mm * px_per_mm), round(h_mm * px_per_mm)
    bg = ink(spec.get("background", "#ffffff"))
    black, white = ink("#000000"), ink("#ffffff")
    img = Image.new("P", (W, H), bg)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"  # no anti-aliasing into palette indices; crisp at 300 dpi
    for el in spec["elements"]:
        t = el.get("type")
        if t == "rect":
            draw.rectangle((px(el["x"]), px(el["y"]), px(el["x"] + el["w"]) - 1, px(el["y"] + el["h"]) - 1),
                           fill=ink(el.get("fill", "#000000")))
        elif t == "text":
            size_px = max(6, round(float(el["size"]) * k * DPI / 72))
            width = px(el["w"])
            lines = _wrap(str(el.get("text", "")), width, _png_widths(size_px, bool(el.get("bold"))),
                          int(el.get("max_lines", 1)))
            lh = size_px * float(el.get("line_height", 1.25))
            fill = ink(el.get("color", "#000000"))
            x0, y0 = px(el["x"]), px(el["y"])
            for i, line in enumerate(lines):
                if not line:
                    continue
                align = el.get("align", "left")
                mask, (dx, dy), advance = _text_mask(line, size_px, bool(el.get("bold")))
                x = x0 + (width - advance) / 2 if align == "center" else (
                    x0 + width - advance if align == "right" else x0)
                draw.bitmap((round(x) + dx, round(y0 + i * lh) + dy), mask, fill=fill)
        elif t == "qr":
            side = px(el["size"])
            x0, y0 = px(el["x"]), px(el["y"])
            if data.get("qr_image"):
                code = Image.open(io.BytesIO(data["qr_image"])).convert("L").resize((side, side))
                q = code.point(lambda v: white if v >= 128 else black).convert("P")
            else:
                q = qrmod.image(data["qr_content"], px=side, dark=black, light=white, mode="P")
            off = (side - q.width) // 2
            draw.rectangle((x0, y0, x0 + side - 1, y0 + side - 1), fill=white)
            img.paste(q, (x0 + off, y0 + off))
        else:
            raise LayoutError(f"unknown element type {t!r} in {LAYOUT_TEMPLATE}")
    palette: list[int] = []
    for rgb, _ in sorted(colors.items(), key=lambda kv: kv[1]):
        palette.extend(rgb)
    img.putpalette(palette + [0] * (768 - len(palette)))
    buf = io.BytesIO()
    # few colours: 4 bits a pixel halves what zlib has to compress
    img.save(buf, format="PNG", compress_level=1, dpi=(DPI, DPI), **({"bits": 4} if len(colors) <= 16 else {}))
    return buf.getvalue()


def render(data: dict[str, Any], size: str, fmt: str) -> bytes:
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    if fmt == "pdf":
        return render_pdf(data, size)
    if fmt == "png":
        return render_png(data, size)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def render_to_files(items: list[tuple[dict[str, Any], str]], size: str, fmt: str) -> list[str]:
    """Render several posters to the given paths (the unit of work of a pool worker)."""
    done = []
    for data, path in items:
        Path(path).write_bytes(render(data, size, fmt))
        done.append(path)
    return done
