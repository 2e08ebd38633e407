"""Boards pages: the landing page /s/{code} a board's QR opens, its buttons, and the staff analytics
(/console/boards, behind the console's ``require_staff``, limited to the staff member's OrgScope)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from app import edge
from app.boards import qr, service
from app.config import get_settings
from app.console.kit.auth import require_staff
from app.console.kit.layout import render as console_render
from app.core.actor import Actor
from app.core.clock import LOCAL_TZ
from app.errors import InvalidInput
from app.web import templates

router = APIRouter()

VISITOR_COOKIE = "fawu_vid"  # random, first-party: counts unique visitors, nothing else
BOARD_COOKIE = "fawu_board"  # the board scanned last: the web flow carries it to later steps
COOKIE_AGE = 180 * 24 * 3600
BOARD_COOKIE_AGE = 30 * 24 * 3600


def _in_wechat(request: Request) -> bool:
    return "micromessenger" in request.headers.get("user-agent", "").lower()


def _visitor(request: Request) -> tuple[str, bool]:
    vid = request.cookies.get(VISITOR_COOKIE, "")
    if len(vid) == 32 and vid.isalnum():
        return vid, False
    return secrets.token_hex(16), True


def _cookies(response: Response, vid: str, new: bool, board_code: str) -> Response:
    secure = get_settings().cookie_secure
    if new:
        response.set_cookie(VISITOR_COOKIE, vid, max_age=COOKIE_AGE, httponly=True, samesite="lax", secure=secure)
    response.set_cookie(BOARD_COOKIE, board_code, max_age=BOARD_COOKIE_AGE, httponly=False, samesite="lax",
                        secure=secure)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _unknown(request: Request, board_code: str) -> HTMLResponse:
    district = await service.district_card()
    return templates.TemplateResponse(request, "boards/unknown.html", {"code": board_code[:40], "d": district},
                                      status_code=404)


@router.get("/s/{board_code}", response_class=HTMLResponse, include_in_schema=False)
async def landing(request: Request, board_code: str, back: str = "") -> Response:
    """The page a board's QR opens: community, advisors (tel: links), 12348, nearest desk, services.

    Each view is a scan, except coming back from the page's own buttons (``?back=1``).
    """
    vid, new = _visitor(request)
    try:
        page = await service.landing(board_code=board_code, visitor=vid, in_wechat=_in_wechat(request),
                                     record=not back, client=edge.client_key(request))
    except service.UnknownBoard:
        return await _unknown(request, board_code)
    actions = [(key, label, f"/s/{page.board_code}/go/{key}?board={page.board_code}")
               for key, label, _ in service.ACTIONS]
    response = templates.TemplateResponse(request, "boards/landing.html", {"p": page, "c": page.card,
                                                                           "actions": actions})
    return _cookies(response, vid, new, page.board_code)


def _route_exists(request: Request, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    for route in request.app.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL and not str(getattr(route, "path", "")).startswith("/s/"):
            return True
    return False


@router.get("/s/{board_code}/go/{action}", include_in_schema=False)
async def go(request: Request, board_code: str, action: str) -> Response:
    """A landing-page button: the feature with the board carried, or a friendly "coming soon" page."""
    try:
        board, target, query = await service.action_target(board_code=board_code, action=action)
    except service.UnknownBoard:
        return await _unknown(request, board_code)
    if _route_exists(request, target):
        return RedirectResponse(f"{target}?{urlencode(query)}", status_code=303)
    if action == "consult":
        return RedirectResponse(f"/s/{board.code}/consult", status_code=303)
    return templates.TemplateResponse(request, "boards/soon.html", {
        "label": service.ACTION_LABELS[action], "code": board.code, "hotline": get_settings().hotline})


@router.get("/s/{board_code}/consult", response_class=HTMLResponse, include_in_schema=False)
async def consult_form(request: Request, board_code: str) -> Response:
    """A minimal consultation form carrying the board (works in any browser, no script)."""
    vid, new = _visitor(request)
    try:
        board = await service.get_active_board(board_code)
    except service.UnknownBoard:
        return await _unknown(request, board_code)
    response = templates.TemplateResponse(request, "boards/consult.html", {
        "code": board.code, "community": board.community.name, "token": service.form_token(vid, board.code),
        "answer": None, "question": ""})
    return _cookies(response, vid, new, board.code)


@router.post("/s/{board_code}/consult", response_class=HTMLResponse, include_in_schema=False)
async def consult_submit(request: Request, board_code: str, text: str = Form(""), token: str = Form(""),
                         previous: str = Form("", max_length=500), related: str = Form("", max_length=200)) -> Response:
    vid = request.cookies.get(VISITOR_COOKIE, "")
    picks = [r for r in related.split(",") if r][:3]
    try:
        answer = await service.web_consult(board_code=board_code, text=text, visitor=vid, token=token,
                                           previous=previous, related=picks, client=edge.client_key(request))
    except service.UnknownBoard:
        return await _unknown(request, board_code)
    except InvalidInput as exc:
        board = await service.get_active_board(board_code)
        return templates.TemplateResponse(request, "boards/consult.html", {
            "code": board.code, "community": board.community.name, "token": service.form_token(vid, board.code),
            "answer": None, "question": text[:500], "error": exc.message_zh}, status_code=400)
    board = await service.get_active_board(board_code)
    asked = previous if picks and text.strip() in {str(i) for i in range(1, len(picks) + 1)} else text[:500]
    return templates.TemplateResponse(request, "boards/consult.html", {
        "code": board.code, "community": board.community.name, "token": service.form_token(vid, board.code),
        "answer": answer, "question": asked, "related": ",".join(a.id for a in answer.answers[1:3]),
        "hotline": get_settings().hotline})


@router.post("/s/{board_code}/handover", response_class=HTMLResponse, include_in_schema=False)
async def handover_submit(request: Request, board_code: str, question: str = Form("", max_length=500),
                          phone: str = Form("", max_length=20), consent: str = Form(""),
                          token: str = Form("")) -> Response:
    """转人工 from the web form: a real case, the resident called back on the phone they left."""
    vid = request.cookies.get(VISITOR_COOKIE, "")
    try:
        case = await service.web_handover(board_code=board_code, visitor=vid, token=token, question=question,
                                          phone=phone, consent=bool(consent))
    except service.UnknownBoard:
        return await _unknown(request, board_code)
    except InvalidInput as exc:
        board = await service.get_active_board(board_code)
        return templates.TemplateResponse(request, "boards/consult.html", {
            "code": board.code, "community": board.community.name, "token": service.form_token(vid, board.code),
            "answer": None, "question": question, "handover_error": exc.message_zh, "show_handover": True,
            "phone": phone, "hotline": get_settings().hotline}, status_code=400)
    board = await service.get_active_board(board_code)
    return templates.TemplateResponse(request, "boards/consult.html", {
        "code": board.code, "community": board.community.name, "token": service.form_token(vid, board.code),
        "answer": None, "question": "", "case_number": case.number, "hotline": get_settings().hotline})


@router.get("/s/{board_code}/follow.png", include_in_schema=False)
async def follow_png(board_code: str) -> Response:
    """The board's official-account QR as a small PNG (long-press in WeChat to follow)."""
    content = await service.follow_qr_content(board_code=board_code)
    png = await asyncio.to_thread(qr.png_bytes, content, px=200)
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


# ---- staff analytics ----

def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise InvalidInput("日期格式应为 年-月-日，例如 2026-11-01。") from exc
    if end:
        d = d + timedelta(days=1)
    return datetime.combine(d, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)  # stored times are UTC


@router.get("/console/boards", response_class=HTMLResponse, include_in_schema=False)
async def analytics_page(request: Request, org: str = "", start: str = "", end: str = "",
                         actor: Actor = Depends(require_staff)) -> Response:
    """Scans per board, community and township; unique visitors; new followers; what came next."""
    rows = await service.scan_stats(unit_code=org or None, since=_day(start), until=_day(end, end=True),
                                    scope=actor.scope)
    query = urlencode({k: v for k, v in {"org": org, "start": start, "end": end}.items() if v})
    return console_render(request, "boards/analytics.html", {
        "rows": rows, "org": org, "start": start, "end": end, "query": query, "level_zh": service.LEVEL_ZH})


@router.get("/console/boards.csv", include_in_schema=False)
async def analytics_csv(org: str = "", start: str = "", end: str = "",
                        actor: Actor = Depends(require_staff)) -> Response:
    rows = await service.scan_stats(unit_code=org or None, since=_day(start), until=_day(end, end=True),
                                    scope=actor.scope)
    return Response(service.stats_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="boards-scans.csv"',
                             "Cache-Control": "no-store"})
