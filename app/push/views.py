"""Push pages: the console's articles, editor with WeChat preview, review, send with quotas, figures;
and the residents' H5 pages (/articles, /articles/{slug})."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from app.config import get_settings
from app.console.kit.auth import client_ip, require_staff
from app.console.kit.layout import render
from app.core.actor import Actor
from app.errors import FawuError, Forbidden, NotFound
from app.org import service as org_service
from app.push import service
from app.push.service import library
from app.web import templates

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, Depends(require_staff)]
Text = Annotated[str, Form(max_length=2000)]
Body = Annotated[str, Form(max_length=60_000)]
VISITOR_COOKIE = "fawu_vid"  # the random first-party cookie the board pages also use


def _back(article_id: int, *, notice: str = "", error: str = "") -> RedirectResponse:
    q = {k: v for k, v in {"notice": notice, "error": error}.items() if v}
    return RedirectResponse(f"/console/push/{article_id}" + (f"?{urlencode(q)}" if q else ""), status_code=303)


async def _units() -> tuple[list[Any], list[Any]]:
    return (await org_service.list_units("township"), await org_service.list_units("community"))  # type: ignore[arg-type]


# ---- the console ----

@router.get("/console/push", response_class=HTMLResponse)
async def articles_page(request: Request, actor: Staff, status: str = "", category: str = "",
                        notice: str = "") -> Response:
    rows = await service.list_articles(actor=actor, status=status, category=category)
    return render(request, "push/list.html", {
        "rows": rows, "status": status, "category": category, "status_zh": service.STATUS_ZH,
        "labels": service.categories(), "quotas": await service.quotas_overview(actor=actor), "notice": notice})


def _form_input(title: str, author: str, summary: str, cover: str, categories: list[str], laws: str,
                body: str) -> service.ArticleInput:
    return service.ArticleInput(title=title, author=author, summary=summary, cover=cover,
                                categories=[c for c in categories if c in service.categories()], laws_text=laws,
                                body=body)


async def _editor(request: Request, data: service.ArticleInput, *, article_id: int | None, error: str = "",
                  show_preview: bool = False, status_code: int = 200) -> Response:
    laws, law_problems = data.laws()
    problems = law_problems + await service.check_article(
        title=data.title, author=data.author, summary=data.summary, cover=data.cover, laws=laws, body=data.body,
        categories_=data.categories) if show_preview else []
    return render(request, "push/edit.html", {
        "d": data, "article_id": article_id, "labels": service.categories(), "error": error,
        "preview": service.preview(data.body) if show_preview else None, "problems": problems,
        "images": _images()}, status_code=status_code)


def _images() -> list[str]:
    out: list[str] = []
    for folder in library.image_dirs():
        if folder.is_dir():
            out += sorted(f"images/{p.name}" for p in folder.iterdir() if library.LOCAL_NAME_RE.match(p.name))
    return list(dict.fromkeys(out))


@router.get("/console/push/new", response_class=HTMLResponse)
async def new_page(request: Request, actor: Staff) -> Response:
    data = service.ArticleInput(title="", author=actor.name[:16], summary="", cover="", categories=[], laws_text="",
                                body="")
    return await _editor(request, data, article_id=None)


@router.post("/console/push/new", response_class=HTMLResponse)
async def new_save(request: Request, actor: Staff, title: Text = "", author: Text = "", summary: Text = "",
                   cover: Text = "", categories: Annotated[list[str] | None, Form()] = None, laws: Text = "",
                   body: Body = "", action: Text = "save") -> Response:
    data = _form_input(title, author, summary, cover, categories or [], laws, body)
    if action == "preview":
        return await _editor(request, data, article_id=None, show_preview=True)
    try:
        article = await service.create_article(actor=actor, data=data)
    except FawuError as exc:
        return await _editor(request, data, article_id=None, error=exc.message_zh, status_code=exc.status)
    return _back(article.id, notice="草稿已保存")


@router.get("/console/push/figures", response_class=HTMLResponse)
async def figures_page(request: Request, actor: Staff) -> Response:
    data = await service.overview(actor=actor)
    townships = {u.code: u.name for u in await org_service.list_units("township")}  # type: ignore[arg-type]
    return render(request, "push/figures.html", {"f": data, "townships": townships})


async def _article_ctx(actor: Actor, article_id: int) -> dict[str, object]:
    article = await service.get_article(article_id, actor=actor)
    townships, communities = await _units()
    return {
        "a": article, "status_zh": service.STATUS_ZH, "labels": service.categories(),
        "preview": service.preview(article.body), "problems": await service.problems_of(article),
        "trail": await service.history(article.id), "can_edit": service.can_edit(actor, article),
        "review_step": await service.may_review(actor, article), "step_zh": service.STEP_ZH,
        "pending": service.pending_step(article), "approved": service.approved_for_sending(article),
        "sends": await service.sends_of(article.id), "send_status_zh": service.SEND_STATUS_ZH,
        "accounts": await service.quotas_overview(actor=actor), "groups": service.GROUPS_ZH,
        "townships": townships, "communities": communities, "reads": await service.reads_of(article.id),
        "plan": None, "form": {}}


@router.get("/console/push/{article_id}", response_class=HTMLResponse)
async def article_page(request: Request, article_id: int, actor: Staff, notice: str = "",
                       error: str = "") -> Response:
    ctx = await _article_ctx(actor, article_id)
    return render(request, "push/article.html", {**ctx, "notice": notice[:200], "error": error[:500],
                                                 "sign_required": "push.approved" in get_settings().signed_actions})


@router.get("/console/push/{article_id}/edit", response_class=HTMLResponse)
async def edit_page(request: Request, article_id: int, actor: Staff) -> Response:
    a = await service.get_article(article_id, actor=actor)
    data = service.ArticleInput(title=a.title, author=a.author, summary=a.summary, cover=a.cover,
                                categories=list(a.categories), laws_text=service.laws_text(list(a.laws)), body=a.body)
    return await _editor(request, data, article_id=a.id, show_preview=True)


@router.post("/console/push/{article_id}/edit", response_class=HTMLResponse)
async def edit_save(request: Request, article_id: int, actor: Staff, title: Text = "", author: Text = "",
                    summary: Text = "", cover: Text = "", categories: Annotated[list[str] | None, Form()] = None,
                    laws: Text = "", body: Body = "", action: Text = "save") -> Response:
    data = _form_input(title, author, summary, cover, categories or [], laws, body)
    if action == "preview":
        return await _editor(request, data, article_id=article_id, show_preview=True)
    try:
        await service.update_article(actor=actor, article_id=article_id, data=data)
    except FawuError as exc:
        return await _editor(request, data, article_id=article_id, error=exc.message_zh, status_code=exc.status)
    return _back(article_id, notice="已保存")


async def _act(article_id: int, notice: str, fn: object) -> RedirectResponse:
    """Run an action and come back to the article with its outcome (not found / forbidden: rendered as such)."""
    try:
        await fn()  # type: ignore[operator]
    except (NotFound, Forbidden):
        raise
    except FawuError as exc:
        return _back(article_id, error=exc.message_zh)
    return _back(article_id, notice=notice)


@router.post("/console/push/{article_id}/submit")
async def submit(article_id: int, actor: Staff, comment: Text = "") -> Response:
    return await _act(article_id, "已提交审核", lambda: service.submit(actor=actor, article_id=article_id,
                                                                  comment=comment))


@router.post("/console/push/{article_id}/approve")
async def approve(request: Request, article_id: int, actor: Staff, comment: Text = "",
                  pin: Annotated[str, Form(max_length=128)] = "") -> Response:
    return await _act(article_id, "已审核通过", lambda: service.approve(
        actor=actor, article_id=article_id, comment=comment, pin=pin, ip=client_ip(request)))


@router.post("/console/push/{article_id}/return")
async def send_back(article_id: int, actor: Staff, comment: Text = "") -> Response:
    return await _act(article_id, "已退回作者修改", lambda: service.send_back(actor=actor, article_id=article_id,
                                                                       comment=comment))


@router.post("/console/push/{article_id}/withdraw")
async def withdraw(article_id: int, actor: Staff) -> Response:
    return await _act(article_id, "已撤回，可以修改", lambda: service.withdraw(actor=actor, article_id=article_id))


@router.post("/console/push/{article_id}/adopt")
async def adopt(article_id: int, actor: Staff) -> Response:
    try:
        article = await service.adopt_article(actor=actor, article_id=article_id)
    except (NotFound, Forbidden):
        raise
    except FawuError as exc:
        return _back(article_id, error=exc.message_zh)
    return _back(article.id, notice="已采用为本镇街草稿，可修改后提交审核")


@router.post("/console/push/{article_id}/send", response_class=HTMLResponse)
async def send(request: Request, article_id: int, actor: Staff,
               accounts: Annotated[list[str] | None, Form()] = None,
               townships: Annotated[list[str] | None, Form()] = None,
               communities: Annotated[list[str] | None, Form()] = None, group: Text = "", when: Text = "",
               action: Text = "plan") -> Response:
    """``action=plan`` shows who gets it from which account and the quotas; ``action=confirm`` schedules it."""
    try:
        at = service.parse_local(when)
        args = {"actor": actor, "article_id": article_id, "account_keys": accounts or [],
                "townships": townships or [], "communities": communities or [], "group": group, "when": at}
        if action == "confirm":
            sent = await service.schedule_send(**args)  # type: ignore[arg-type]
            return _back(article_id, notice=f"推送 #{sent.id} 已排期")
        plan = await service.plan_send(**args)  # type: ignore[arg-type]
        error = ""
    except FawuError as exc:
        plan, error = None, exc.message_zh
    ctx = await _article_ctx(actor, article_id)
    ctx["plan"], ctx["error"] = plan, error
    ctx["form"] = {"accounts": accounts or [], "townships": townships or [], "communities": communities or [],
                   "group": group, "when": when}
    return render(request, "push/article.html", ctx, status_code=409 if error else 200)


@router.post("/console/push/sends/{send_id}/cancel")
async def cancel(send_id: int, actor: Staff) -> Response:
    sent = await service.get_send(send_id, actor=actor)
    return await _act(sent.article_id, "已取消推送", lambda: service.cancel_send(actor=actor, send_id=send_id))


# ---- the residents' pages ----

def _visitor(request: Request) -> tuple[str, bool]:
    vid = request.cookies.get(VISITOR_COOKIE, "")
    if len(vid) == 32 and vid.isalnum():
        return vid, False
    return secrets.token_hex(16), True


@router.get("/articles", response_class=HTMLResponse)
async def list_public(request: Request, township: str = "", board: str = "", community: str = "") -> Response:
    """The 普法文章 a board's button opens: the township's own and the district's published articles."""
    rows = await service.published(township_code=township[:32] or None)
    back = f"/s/{quote(board[:24])}?back=1" if board else ""
    return templates.TemplateResponse(request, "push/public_list.html", {
        "rows": rows, "back": back, "board": board[:24], "labels": service.categories(),
        "hotline": get_settings().hotline})


@router.get("/articles/images/{name}")
async def image(name: str) -> Response:
    path = library.image_path(f"images/{name}") if library.LOCAL_NAME_RE.match(name) else None
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/articles/{slug}", response_class=HTMLResponse)
async def read(request: Request, slug: str, a: str = "", board: str = "", township: str = "") -> Response:
    """An article's own H5 page (WeChat's 阅读原文 and the board list link here); one read per client."""
    vid, new = _visitor(request)
    try:
        p = await service.page(slug=slug[:64], visitor=vid, account_key=a[:32], township_code=township[:32] or None)
    except service.ArticleNotFound:
        return templates.TemplateResponse(request, "push/public_missing.html",
                                          {"hotline": get_settings().hotline}, status_code=404)
    response = templates.TemplateResponse(request, "push/public_article.html", {
        "p": p, "board": board[:24], "hotline": get_settings().hotline})
    if new:
        response.set_cookie(VISITOR_COOKIE, vid, max_age=180 * 24 * 3600, httponly=True, samesite="lax",
                            secure=get_settings().cookie_secure)
    return response
