"""Charts drawn on the server as inline SVG (work offline, no JavaScript, no CDN)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ("#1476d2", "#2fa36b", "#f5a623", "#d9534f", "#7e57c2", "#26a6b8", "#8d6e63", "#5c6bc0")


def bar_chart(items: list[tuple[str, float]], *, unit: str = "", width: int = 380, color: str | None = None,
              value_fmt: str = "{:g}") -> Markup:
    """Horizontal bars, one per (label, value); the empty state says 暂无数据."""
    if not items or all(v == 0 for _, v in items):
        return Markup('<p class="c-empty">暂无数据</p>')
    row_h, label_w, pad = 28, 120, 8
    height = row_h * len(items) + pad * 2
    top = max(v for _, v in items) or 1
    bar_w = width - label_w - 60
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'font-size="13" font-family="sans-serif">']
    for i, (label, value) in enumerate(items):
        y = pad + i * row_h
        w = max(2.0, bar_w * value / top) if value else 0
        fill = color or PALETTE[i % len(PALETTE)]
        text = escape(label if len(label) <= 9 else label[:8] + "…")
        parts.append(f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" fill="#445">{text}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" rx="3" fill="{fill}">'
                     f'<title>{escape(label)}：{value_fmt.format(value)}{unit}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 18}" fill="#223">{value_fmt.format(value)}{unit}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def ring(percent: float | None, *, label: str, size: int = 120) -> Markup:
    """A ring gauge for a rate (0–100); None shows 暂无数据."""
    if percent is None:
        return Markup('<p class="c-empty">暂无数据</p>')
    r, c = 46, size / 2
    circ = 2 * 3.14159265 * r
    filled = circ * max(0.0, min(100.0, percent)) / 100
    color = "#2fa36b" if percent >= 90 else "#f5a623" if percent >= 70 else "#d9534f"
    return Markup(
        f'<svg class="ring" viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
        f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="#e8edf3" stroke-width="12"/>'
        f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{color}" stroke-width="12" '
        f'stroke-dasharray="{filled:.1f} {circ:.1f}" transform="rotate(-90 {c} {c})" stroke-linecap="round"/>'
        f'<text x="{c}" y="{c + 7}" text-anchor="middle" font-size="22" font-weight="700" fill="#1f3a5f">'
        f'{percent:.0f}%</text><title>{escape(label)}</title></svg>')
