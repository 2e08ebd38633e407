"""Articles: the library import, writing and editing in the console, the checks, the preview."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from app.catalog import service as catalog_service
from app.config import get_settings
from app.consult import service as consult_service
from app.core.actor import Actor, Role
from app.errors import FawuError, Forbidden
from app.laws import service as laws_service
from app.push.models import PushArticle, PushReview
from app.push.service import library
from app.push.service.errors import ArticleNotFound, ArticleProblems, WrongStatus
from app.push.service.render import Rendered, is_local_image, render

STATUS_ZH = {
    "draft": "草稿", "returned": "退回修改", "submitted": "待镇街审核", "township_ok": "待区级审批",
    "approved": "已审批待发送", "scheduled": "已排期", "sent": "已发送",
}
EDITABLE = ("draft", "returned")
BODY_CITE_RE = re.compile(r"《([^》]{2,40})》\s*(第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)")
SUBMITTED_STATUSES = ("submitted", "township_ok")
# a reference to the case library or the catalogue, resolved into a link when the article is saved
CATALOG_REF_RE = re.compile(r"\[\[\s*(案例|服务)\s*[:：]\s*([^\]\s]{1,64})\s*\]\]")
CATALOG_LINK_RE = re.compile(r"/catalog/(cases|services)/([A-Za-z0-9_-]{1,64})")


@dataclass
class ArticleInput:
    """What the console's form edits (front matter fields and the Markdown body)."""

    title: str
    author: str
    summary: str
    cover: str
    categories: list[str]
    laws_text: str  # one citation a line: 劳动合同法 第八十二条
    body: str

    def laws(self) -> tuple[list[dict[str, str]], list[str]]:
        items: list[dict[str, str]] = []
        for line in self.laws_text.splitlines():
            line = line.strip().replace("《", "").replace("》", " ")
            if not line:
                continue
            parts = line.rsplit(None, 1)
            if len(parts) != 2:
                items.append({"law": line, "article": ""})
                continue
            items.append({"law": parts[0], "article": parts[1]})
        return library.laws_of(items)


def laws_text(laws: list[dict[str, str]]) -> str:
    return "\n".join(f"{x['law']} {x['article']}" for x in laws)


def categories() -> dict[str, str]:
    return consult_service.category_labels()


def _image_url_h5(ref: str) -> str | None:
    path = library.image_path(ref)
    return f"/articles/{ref}" if path is not None else None


def link_ok(href: str) -> bool:
    base = get_settings().public_base_url
    return href.startswith((base + "/", "https://mp.weixin.qq.com/")) or href.startswith("/articles")


def preview(body: str) -> Rendered:
    """The article as residents will see it (images from fawu's own pages)."""
    return render(body, image_url=_image_url_h5, link_ok=link_ok)


async def check_article(*, title: str, author: str, summary: str, cover: str, laws: list[dict[str, str]],
                        body: str, categories_: list[str]) -> list[str]:
    """Everything that stops an article from going to residents (empty: fine)."""
    problems = library.front_matter_problems(title=title, author=author, summary=summary, cover=cover, laws=laws)
    if not categories_:
        problems.append("请至少选一个类别")
    rendered = await asyncio.to_thread(preview, body)
    problems += rendered.problems
    problems += [f"正文含不允许的内容，发送时会被删除：{x}，请删掉后再提交" for x in rendered.removed]
    refs = list(rendered.images) + ([cover] if cover else [])
    settings = get_settings()
    if cover and not is_local_image(cover):
        problems.append("封面须为本系统中的图片（cover = \"images/文件名.png\"）")
        refs.remove(cover)
    for ref in dict.fromkeys(refs):
        path = await asyncio.to_thread(library.image_path, ref)
        if path is None:
            problems.append(f"图片 {ref} 不存在")
            continue
        size = (await asyncio.to_thread(path.stat)).st_size
        if size > settings.push_max_image_bytes:
            problems.append(f"图片 {ref} 有 {size / 1048576:.1f}MB，超过 {settings.push_max_image_bytes / 1048576:.1f}MB"
                            " 的上限，请压缩后再上传")
    problems += await catalog_link_problems(body)
    if "12348" not in body and "律师" not in body:
        problems.append("正文须告诉居民何时找律师或拨打 12348")
    cited = {(x["law"], x["article"]) for x in laws}
    cited |= {(library.short_law(m.group(1)), m.group(2)) for m in BODY_CITE_RE.finditer(body)}
    for law, article in sorted(cited):
        try:
            await laws_service.get_article(law=law, article=article)
        except FawuError as exc:
            problems.append(f"引用《{law}》{article}：{exc.message_zh}（请引用法规库中现行有效的条文）")
    return problems


async def resolve_catalog_refs(body: str) -> str:
    """``[[案例:slug]]`` and ``[[服务:code]]`` → Markdown links to the typical case and the catalogue's entry
    (their titles, the public address); an unknown or unpublished one refuses the save (ArticleProblems)."""
    base = get_settings().public_base_url.rstrip("/")
    problems: list[str] = []
    links: dict[str, str] = {}
    for m in CATALOG_REF_RE.finditer(body):
        kind, key = m.groups()
        try:
            if kind == "案例":
                case = await catalog_service.get_case(key)
                links[m.group(0)] = f"[典型案例：{case.title}]({base}/catalog/cases/{case.slug})"
            else:
                entry = await catalog_service.service_info(key)
                links[m.group(0)] = f"[办事指南：{entry.name}]({base}{entry.url})"
        except FawuError:
            what = "已发布的典型案例（填案例页地址末尾的编号）" if kind == "案例" else "服务清单中已发布的事项（填事项编码）"
            problems.append(f"引用 {m.group(0)} 找不到，须为{what}")
    if problems:
        raise ArticleProblems(problems)
    return CATALOG_REF_RE.sub(lambda m: links[m.group(0)], body)


async def catalog_link_problems(body: str) -> list[str]:
    """Links to the case library or the catalogue that no longer lead anywhere (unpublished since)."""
    out: list[str] = []
    for kind, key in dict.fromkeys(CATALOG_LINK_RE.findall(body)):
        try:
            if kind == "cases":
                await catalog_service.get_case(key)
            else:
                await catalog_service.service_info(key)
        except FawuError:
            what = "典型案例" if kind == "cases" else "服务事项"
            out.append(f"正文链接的{what}“{key}”已不公开或不存在，请删除或更换链接")
    return out


async def problems_of(article: PushArticle) -> list[str]:
    return await check_article(title=article.title, author=article.author, summary=article.summary,
                               cover=article.cover, laws=list(article.laws), body=article.body,
                               categories_=list(article.categories))


# ---- reading ----

def visible(actor: Actor, article: PushArticle) -> bool:
    """District staff see all; others see their units' articles and the district's library."""
    return article.township_code is None or actor.scope.allows(article.township_code)


async def get_article(article_id: int, *, actor: Actor | None = None) -> PushArticle:
    article = await PushArticle.get_or_none(id=article_id)
    if article is None or (actor is not None and not visible(actor, article)):
        raise ArticleNotFound()
    return article


async def list_articles(*, actor: Actor, status: str = "", category: str = "") -> list[PushArticle]:
    rows = [a for a in await PushArticle.all().order_by("-updated_at", "-id") if visible(actor, a)]
    return [a for a in rows if (not status or a.status == status) and (not category or category in a.categories)]


async def has_articles() -> bool:
    return await PushArticle.exists()


async def history(article_id: int) -> list[PushReview]:
    return await PushReview.filter(article_id=article_id).order_by("id")


# ---- writing ----

def can_edit(actor: Actor, article: PushArticle) -> bool:
    if actor.read_only or article.status not in EDITABLE:
        return False
    if article.township_code is None:
        return actor.role == Role.DISTRICT_ADMIN
    return actor.scope.allows(article.township_code) and actor.role in (Role.TOWNSHIP_STAFF, Role.DISTRICT_ADMIN)


async def record_step(article: PushArticle, actor: Actor | None, action: str, before: str, comment: str = "") -> None:
    await PushReview.create(article_id=article.id, actor_id=actor.id if actor else None,
                            actor_name=actor.name if actor else "系统", action=action, from_status=before,
                            to_status=article.status, comment=comment)


def _slug_for(title: str, township: str | None) -> str:
    return f"{(township or 'yx').lower()}-{secrets.token_hex(4)}"


async def create_article(*, actor: Actor, data: ArticleInput, township_code: str | None = None) -> PushArticle:
    """A new draft written in the console, for the actor's township (district staff: the district's)."""
    if actor.read_only or actor.role not in (Role.TOWNSHIP_STAFF, Role.DISTRICT_ADMIN):
        raise Forbidden("只有镇街工作人员和区管理员可以写普法文章。")
    if township_code is None and not actor.is_district:
        township_code = actor.unit_codes[0] if actor.unit_codes else None
    if township_code is not None and not actor.scope.allows(township_code):
        raise Forbidden()
    laws, _ = data.laws()
    body = await resolve_catalog_refs(data.body)
    async with in_transaction():
        article = await PushArticle.create(
            slug=_slug_for(data.title, township_code), title=data.title.strip()[:64], author=data.author.strip()[:32],
            township_code=township_code, categories=data.categories, cover=data.cover.strip()[:200],
            summary=data.summary.strip()[:120], body=body, laws=laws, author_id=actor.id)
        await record_step(article, actor, "created", "")
    return article


async def update_article(*, actor: Actor, article_id: int, data: ArticleInput) -> PushArticle:
    article = await get_article(article_id, actor=actor)
    if not can_edit(actor, article):
        raise WrongStatus("只有草稿或退回修改的文章可以编辑（已提交的请先撤回）。")
    laws, _ = data.laws()
    body = await resolve_catalog_refs(data.body)
    async with in_transaction():
        article.title, article.author = data.title.strip()[:64], data.author.strip()[:32]
        article.summary, article.cover = data.summary.strip()[:120], data.cover.strip()[:200]
        article.categories, article.body, article.laws = data.categories, body, laws
        if article.author_id is None:
            article.author_id = actor.id
        await article.save()
        await record_step(article, actor, "edited", article.status)
    return article


async def adopt_article(*, actor: Actor, article_id: int) -> PushArticle:
    """A township's own draft copied from a district library article (then reviewed as its own)."""
    source = await get_article(article_id, actor=actor)
    township = None if actor.is_district else (actor.unit_codes[0] if actor.unit_codes else None)
    if township is None:
        raise Forbidden("区级文章可直接编辑和发送，无需采用。")
    data = ArticleInput(title=source.title, author=source.author, summary=source.summary, cover=source.cover,
                        categories=list(source.categories), laws_text=laws_text(list(source.laws)), body=source.body)
    return await create_article(actor=actor, data=data, township_code=township)


# ---- the library ----

@dataclass
class ImportReport:
    created: int
    updated: int
    kept: int  # under review or sent: not overwritten
    problems: list[str]


async def import_library(*, folder: Path | None = None) -> ImportReport:
    """Load content/articles into the database (new files created, unchanged drafts updated)."""
    folder = folder or library.articles_dir()
    files = await asyncio.to_thread(library.load_folder, folder, categories=set(categories()))
    created = updated = kept = 0
    problems = [f"{Path(f.source).name}: {p}" for f in files for p in f.problems]
    for f in files:
        row = await PushArticle.get_or_none(slug=f.slug)
        values: dict[str, Any] = {"title": f.title[:64], "author": f.author[:32], "township_code": f.township,
                                  "categories": f.categories, "cover": f.cover, "summary": f.summary[:120],
                                  "body": f.body, "laws": f.laws, "source": Path(f.source).name}
        if row is None:
            await PushArticle.create(slug=f.slug, **values)
            created += 1
        elif row.status in EDITABLE and row.author_id is None:
            await PushArticle.filter(id=row.id).update(**values)
            updated += 1
        else:
            kept += 1
    return ImportReport(created, updated, kept, problems)


async def check_library(*, folder: Path | None = None) -> list[str]:
    """Every problem of the library files, citations against the corpus included (``fawu push check``)."""
    folder = folder or library.articles_dir()
    files = await asyncio.to_thread(library.load_folder, folder, categories=set(categories()))
    out: list[str] = []
    for f in files:
        found = f.problems + await check_article(title=f.title, author=f.author, summary=f.summary, cover=f.cover,
                                                 laws=f.laws, body=f.body, categories_=f.categories)
        out += [f"{Path(f.source).name}: {p}" for p in dict.fromkeys(found)]
    return out


def require_clean(problems: list[str]) -> None:
    if problems:
        raise ArticleProblems(problems)
