"""Console pages of the analytics: topic statistics (scoped, suppressed), the CSV export (audited),
early warnings and the three rates. Thin: parse, call the service, render."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.analytics import service
from app.console.kit import charts
from app.console.kit.auth import client_ip, require_staff
from app.console.kit.layout import render
from app.core.actor import Actor
from app.core.clock import to_local, utcnow
from app.staff import service as staff_service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise service.BadFilter("日期格式应为 2026-01-31。") from exc


def _csv(rows: list[dict[str, object]], header: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@router.get("/console/analytics")
async def stats_page(request: Request, actor: Staff, source: str = "consult", period: str = "week",
                     start: str | None = None, place: str | None = None, dim: str = "category") -> Response:
    data = await service.topic_stats(scope=actor.scope, source=source, period=period, start=_day(start),
                                     place_code=place, dim=dim)
    # a point resting on too few residents is drawn as 0 and starred (the page explains the star)
    trend = [((lbl[5:10] if period == "week" else lbl) + ("" if v is not None else "*"), float(v or 0))
             for lbl, v in data["trend"]]
    by_place = data["by_place"]
    return render(request, "analytics/stats.html", {
        **data, "sources": service.SOURCES_ZH, "dims": service.DIMS_ZH, "last_run": await service.last_run(),
        "active_warnings": await service.count_active(scope=actor.scope),
        "trend_hidden": any(v is None for _, v in data["trend"]),
        "charts": {
            "dim": charts.bar_chart(data["by_dim"].chart_items(), unit="次"),
            "place": charts.bar_chart(by_place.chart_items(), unit="次", color="#1476d2") if by_place else None,
            "trend": charts.bar_chart(trend, unit="次", color="#2fa36b"),
        },
    })


@router.get("/console/analytics/export.csv")
async def stats_export(request: Request, actor: Staff, source: str = "consult", period: str = "week",
                       dim: str = "category") -> Response:
    """The suppressed figures of the last 12 periods for the actor's places, as CSV (audited)."""
    if source not in service.SOURCES_ZH or period not in service.PERIODS or dim not in service.DIMS_ZH:
        raise service.BadFilter()
    rows = await service.export_rows(scope=actor.scope, source=source, period=period, dim=dim)
    header = ["周期", "地区", "来源", service.DIMS_ZH[dim], "数量", "人数", "上期", "去年同期"]
    await staff_service.audit(actor=actor, action="analytics.export", target_type="analytics",
                              detail={"rows": len(rows), "source": source, "period": period, "dim": dim},
                              ip=client_ip(request))
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M")
    return Response(_csv(rows, header), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"analytics-{stamp}.csv\"; "
                               f"filename*=UTF-8''%E7%BB%9F%E8%AE%A1-{stamp}.csv",
        "Cache-Control": "no-store",
    })


async def _labels() -> dict[str, dict[str, str]]:
    return {"category": service.dim_labels("consult", "category"), "channel": service.dim_labels("consult", "channel")}


@router.get("/console/analytics/warnings")
async def warnings_page(request: Request, actor: Staff, status: str = "active") -> Response:
    rows = await service.list_warnings(scope=actor.scope, status=status)
    return render(request, "analytics/warnings.html", {
        "rows": rows, "status": status, "status_zh": service.STATUS_ZH, "source_zh": service.SOURCE_ZH,
        "labels": await _labels(), "units": await service.unit_names(),
        "rule": service.surge_rule().describe(service.baseline_weeks()), "cluster_rule": service.cluster_rule(),
        "kind_zh": service.KIND_ZH,
    })


@router.get("/console/analytics/warnings/{warning_id}")
async def warning_page(request: Request, actor: Staff, warning_id: int) -> Response:
    w = await service.get_warning(scope=actor.scope, warning_id=warning_id)
    return render(request, "analytics/warning.html", {
        "w": w, "status_zh": service.STATUS_ZH, "source_zh": service.SOURCE_ZH, "labels": await _labels(),
        "units": await service.unit_names(), "staff": await service.assignable_staff(actor=actor, warning=w),
        "action_zh": {"open": "发出预警", "acknowledge": "确认", "assign": "指派", "close": "办结"},
    })


def _back(warning_id: int) -> RedirectResponse:
    return RedirectResponse(f"/console/analytics/warnings/{warning_id}", status_code=303)


@router.post("/console/analytics/warnings/{warning_id}/ack")
async def warning_ack(actor: Staff, warning_id: int) -> Response:
    await service.acknowledge_warning(actor=actor, warning_id=warning_id)
    return _back(warning_id)


@router.post("/console/analytics/warnings/{warning_id}/assign")
async def warning_assign(actor: Staff, warning_id: int, staff_id: Annotated[int, Form()]) -> Response:
    await service.assign_warning(actor=actor, warning_id=warning_id, staff_id=staff_id)
    return _back(warning_id)


@router.post("/console/analytics/warnings/{warning_id}/close")
async def warning_close(actor: Staff, warning_id: int, text: Annotated[str, Form(max_length=2000)] = "") -> Response:
    await service.close_warning(actor=actor, warning_id=warning_id, outcome=text)
    return _back(warning_id)


@router.get("/console/analytics/rates")
async def rates_page(request: Request, actor: Staff, month: str | None = None) -> Response:
    data = await service.three_rates(scope=actor.scope, month=_day(f"{month}-01" if month and len(month) == 7 else month))
    rings = {t.rate.key: charts.ring(t.district.rate if t.district else (t.rows[0].rate if len(t.rows) == 1 else None),
                                     label=t.rate.name) for t in data["tables"]}
    return render(request, "analytics/rates.html", {**data, "rings": rings})


@router.get("/console/analytics/report.pdf")
async def monthly_report(request: Request, actor: Staff, month: str | None = None) -> Response:
    """The printable monthly report (PDF) for the actor's scope (audited like an export)."""
    day = _day(f"{month}-01" if month and len(month) == 7 else month) or to_local(utcnow()).date()
    pdf, name = await service.monthly_pdf(scope=actor.scope, month=day)
    await staff_service.audit(actor=actor, action="analytics.report", target_type="analytics",
                              detail={"month": name}, ip=client_ip(request))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"", "Cache-Control": "no-store"})
