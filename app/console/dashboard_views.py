"""Console dashboard (cases by status, category and township, on-time rate, busiest boards,
satisfaction, hot topics; charts as inline SVG) and the CSV export a supervisor reports upward."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from app.boards import service as boards_service
from app.cases import service as cases_service
from app.console import labels
from app.console.kit import charts
from app.console.kit.auth import client_ip, require_staff
from app.console.kit.layout import render
from app.consult import service as consult_service
from app.core.actor import Actor
from app.core.clock import to_local, utcnow
from app.staff import service as staff_service
from app.surveys import service as surveys_service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]


async def _busiest_boards(actor: Actor, limit: int = 8) -> list[tuple[str, float]]:
    """The most scanned notice boards within the actor's units (from the boards domain's analytics)."""
    rows = await boards_service.scan_stats(scope=actor.scope)
    top = sorted((r for r in rows if r.level == "board" and r.scans), key=lambda r: -r.scans)[:limit]
    return [(f"{r.place}", float(r.scans)) for r in top]


async def _hot_topics(actor: Actor) -> list[tuple[str, float]]:
    rows = await consult_service.hot_topics(scope=actor.scope, weeks=8)
    cats = labels.category_labels()
    counts: Counter[str] = Counter()
    for r in rows:
        counts[cats.get(r.get("category") or "other", r.get("category") or "其他")] += int(r.get("count", 0))
    return [(k, float(v)) for k, v in counts.most_common(8)]


@router.get("/console/dashboard")
async def dashboard(request: Request, actor: Staff) -> Response:
    figures = await cases_service.dashboard_figures(actor=actor)  # counted by the database
    statuses, types, cats = labels.status_labels(), labels.type_labels(), labels.category_labels()
    units = await labels.unit_names()
    by_status = [(statuses.get(k, k), float(v)) for k, v in sorted(figures.get("by_status", {}).items(),
                                                                   key=lambda kv: list(statuses).index(kv[0])
                                                                   if kv[0] in statuses else 99)]
    by_type = [(types.get(k, k), float(v)) for k, v in sorted(figures.get("by_type", {}).items(), key=lambda kv: -kv[1])]
    by_category = [(cats.get(k, k), float(v)) for k, v in sorted(figures["by_category"].items(), key=lambda kv: -kv[1])]
    by_township = [(units.get(k, "未定地区") if k else "未定地区", float(v))
                   for k, v in sorted(figures.get("by_township", {}).items())]
    rate, answered = figures["on_time_rate"], figures["answered"]
    tile = await surveys_service.tile(actor=actor)  # 好差评: the rate always with its denominator
    busiest = await _busiest_boards(actor)
    hot = await _hot_topics(actor)
    return render(request, "console/dashboard.html", {
        "fig": figures, "rate": rate, "answered": answered,
        "charts": {
            "status": charts.bar_chart(by_status, unit="件"),
            "category": charts.bar_chart(by_category, unit="件"),
            "township": charts.bar_chart(by_township, unit="件", color="#1476d2"),
            "type": charts.bar_chart(by_type, unit="件"),
            "boards": charts.bar_chart(busiest, unit="次", color="#2fa36b"),
            "satisfaction": charts.ring(tile["rate"], label="满意率") + Markup(
                f'<p class="muted" id="satisfaction-denominator">满意率 {escape(tile["shown"])} · 参评率 '
                f'{escape(tile["response"])} · 差评未整改 {tile["bad_open"]}（超期 {tile["bad_overdue"]}）'
                ' · <a href="/console/surveys">详情</a></p>') + charts.bar_chart(tile["bars"], unit="%", color="#7e57c2"),
            "hot": charts.bar_chart(hot, unit="次", color="#f5a623"),
            "rate": charts.ring(rate, label="按时办结率"),
        },
        "generated_at": utcnow(),
    })


@router.get("/console/export")
async def export_csv(request: Request, actor: Staff) -> Response:
    """Every case in scope as CSV: UTF-8 with BOM so Excel shows the Chinese correctly."""
    rows = await cases_service.export_rows(actor=actor)
    buf = io.StringIO()
    header = list(rows[0].keys()) if rows else ["编号", "类型", "分类", "状态", "渠道", "镇街", "社区", "负责人",
                                                "受理时间", "期限", "反馈时间", "评价"]
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow(r)
    body = ("\ufeff" + buf.getvalue()).encode("utf-8")
    # integrity of the exported file (密评): its SM3 digest kept in the audit entry, and a keyed
    # HMAC-SM3 that only fawu's key reproduces, both sent with the file
    digest = staff_service.export_digest(body)
    await staff_service.audit(actor=actor, action="cases.export", target_type="cases",
                              detail={"rows": len(rows), "sm3": digest["sm3"]}, ip=client_ip(request))
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M")
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "X-Content-SM3": digest["sm3"], "X-Content-HMAC-SM3": digest["hmac_sm3"],
        "Content-Disposition": f"attachment; filename=\"cases-{stamp}.csv\"; filename*=UTF-8''%E6%A1%88%E4%BB%B6-{stamp}.csv",
        "Cache-Control": "no-store",
    })
