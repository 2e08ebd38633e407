"""The printable monthly report (PDF, the CJK font embedded) a clerk hands to a meeting: the month's
consultations and cases by category and place (suppressed like the pages), the three rates, the early
warnings. Built from the same scoped reads as the pages; drawn in a worker thread."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.analytics.service import figures, periods, rates, warnings
from app.boards import service as boards_service
from app.core.clock import format_local, utcnow
from app.core.scope import OrgScope
from app.org import service as org_service

PDF_FONT = "FawuReportCJK"


@dataclass
class ReportData:
    title: str
    month_label: str
    place: str
    tables: list[tuple[str, figures.Table | None]]
    rates: list[rates.RateTable]
    warnings: list[list[str]]
    min_residents: int
    generated: str


async def gather(*, scope: OrgScope, month: date) -> ReportData:
    month = periods.start_of("month", month)
    options = await figures.places_for(scope)
    if not options:
        raise figures.PlaceNotFound()
    place = options[0]  # the district, or the actor's (first) township
    tables: list[tuple[str, figures.Table | None]] = []
    for source, label in (("consult", "咨询"), ("cases", "案件")):
        tables.append((f"{label} · 按事项分类", await figures.by_dimension(scope, source=source, period="month",
                                                                       start=month, place=place, dim="category")))
        tables.append((f"{label} · 按{'镇街' if place.level == 'district' else '社区/村'}",
                       await figures.by_place(scope, source=source, period="month", start=month, place=place)))
    three = await rates.three_rates(scope=scope, month=month)
    since, until = periods.bounds("month", month)
    labels = figures.dim_labels("consult", "category")
    units = {c: u.name for c, u in (await org_service.tree()).items()}
    rows = []
    for w in await warnings.list_warnings(scope=scope, status="all"):
        if not (since <= w.created_at < until):
            continue
        subject = w.subject.split(":", 1)[1] if w.subject else ""
        rows.append([w.week_start.isoformat(), warnings.KIND_ZH.get(w.kind, w.kind) + (f"：{subject}" if subject else ""),
                     units.get(w.township_code, w.township_code) + (f" · {units.get(w.community_code, '')}"
                                                                   if w.community_code else ""),
                     labels.get(w.category, w.category), str(w.observed), warnings.STATUS_ZH.get(w.status, w.status)])
    district = await org_service.district()
    return ReportData(title=f"{district.name if district else ''}公共法律服务月度分析报告",
                      month_label=periods.label("month", month), place=place.name, tables=tables,
                      rates=three["tables"], warnings=rows, min_residents=figures.min_residents(),
                      generated=format_local(utcnow()))


def _draw(data: ReportData) -> bytes:
    # function-level: reportlab loads only when a report is drawn (heavy; a worker thread)
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle

    # function-level: as above
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # function-level: as above
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        path, index = boards_service.find_cjk_font("pdf")
        pdfmetrics.registerFont(TTFont(PDF_FONT, path, subfontIndex=index))
    h1 = ParagraphStyle("h1", fontName=PDF_FONT, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=PDF_FONT, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=9, leading=13)
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("FONTSIZE", (0, 0), (-1, -1), 9),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8d0d8"))])

    def fmt(v: Any, suffix: str = "") -> str:
        return "—" if v is None else f"{v}{suffix}"

    story: list[Any] = [Paragraph(data.title, h1),
                        Paragraph(f"{data.place} · {data.month_label} · 生成于 {data.generated}（北京时间）", body),
                        Paragraph(f"少于 {data.min_residents} 人的数据已合并或不予显示，以免识别到个人。", body)]
    for title, t in data.tables:
        story.append(Paragraph(title, h2))
        if t is None or (not t.rows and not t.pooled and not t.suppressed_all):
            story.append(Paragraph("暂无数据", body))
            continue
        if t.suppressed_all:
            story.append(Paragraph(f"样本不足（少于 {data.min_residents} 人），不予显示。", body))
            continue
        cells = [["", "数量", "人数", "上月", "环比", "去年同期", "同比"]]
        for f in t.rows + ([t.pooled] if t.pooled else []):
            cells.append([f.label, str(f.count), str(f.residents), fmt(f.prev), fmt(f.change_prev, "%"),
                          fmt(f.last_year), fmt(f.change_year, "%")])
        cells.append(["合计", str(t.total), "", "", "", "", ""])
        story.append(Table(cells, colWidths=[48 * mm] + [20 * mm] * 6, style=style))
    story.append(Paragraph("三率", h2))
    for rt in data.rates:
        story.append(Paragraph(f"{rt.rate.name}：{rt.rate.definition}。分母：{rt.rate.denominator}。", body))
        if not rt.has_data:
            story.append(Paragraph("暂无数据", body))
            continue
        cells = [["地区", rt.rate.name, "分子/分母", "上月", "环比（百分点）"]]
        for r in ([rt.district] if rt.district else []) + rt.rows:
            cells.append([r.name, fmt(r.rate, "%") if r.enough else "样本不足",
                          f"{r.yes}/{r.total}" if r.enough else f"<{data.min_residents}", fmt(r.prev_rate, "%"),
                          fmt(r.change)])
        story.append(Table(cells, colWidths=[40 * mm, 30 * mm, 30 * mm, 30 * mm, 30 * mm], style=style))
        story.append(Spacer(1, 4))
    story.append(Paragraph("矛盾预警", h2))
    if not data.warnings:
        story.append(Paragraph("本月无预警。", body))
    else:
        story.append(Table([["周", "类型", "地区", "事项", "人数", "状态"], *data.warnings],
                           colWidths=[22 * mm, 40 * mm, 40 * mm, 34 * mm, 14 * mm, 20 * mm], style=style))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=data.title, leftMargin=14 * mm, rightMargin=14 * mm,
                      topMargin=14 * mm, bottomMargin=14 * mm).build(story)
    return buf.getvalue()


async def monthly_pdf(*, scope: OrgScope, month: date) -> tuple[bytes, str]:
    """The month's report for the actor's scope; (pdf bytes, file name)."""
    data = await gather(scope=scope, month=month)
    pdf = await asyncio.to_thread(_draw, data)
    return pdf, f"report-{periods.start_of('month', month):%Y-%m}.pdf"
