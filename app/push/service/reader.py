"""What residents read: the articles' own H5 pages, their list for a board's township, the reads."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from app.config import get_settings
from app.laws import service as laws_service
from app.matrix.service import get_matrix
from app.push.models import PushArticle, PushRead
from app.push.service import articles
from app.push.service.errors import ArticleNotFound


@dataclass
class ArticlePage:
    article: PushArticle
    html: str
    statutes: list[Any]  # laws_service.ArticleView of each cited article (text shown under the article)
    categories: list[str]


def visitor_hash(value: str) -> str:
    """A read is counted once per client: a keyed hash of its random cookie, never the cookie itself."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hashlib.sha256(key + b"push:" + value.encode()).hexdigest()


async def published(*, township_code: str | None = None, limit: int = 30) -> list[PushArticle]:
    """Published articles for a township's residents: the township's own and the district's."""
    qs = PushArticle.filter(published_at__isnull=False)
    rows = await qs.order_by("-published_at", "-id").limit(200)
    return [a for a in rows if a.township_code is None or a.township_code == township_code][:limit]


async def latest_for_board(*, township_code: str | None, limit: int = 3) -> list[dict[str, str]]:
    """A board page's 普法 links: [{title, summary, url}] (for the boards domain to show)."""
    return [{"title": a.title, "summary": a.summary, "url": f"/articles/{a.slug}"}
            for a in await published(township_code=township_code, limit=limit)]


async def page(*, slug: str, visitor: str | None, account_key: str = "", township_code: str | None = None,
               preview: bool = False) -> ArticlePage:
    """An article's H5 page (published only, unless previewed by staff); the read is recorded once per client."""
    article = await PushArticle.get_or_none(slug=slug)
    if article is None or (article.published_at is None and not preview):
        raise ArticleNotFound()
    if visitor and not preview:
        acc = get_matrix().get(account_key) if account_key else None
        township = township_code or (acc.org_unit if acc is not None else None) or article.township_code
        try:
            await PushRead.create(article_id=article.id, visitor=visitor_hash(visitor),
                                  account_key=acc.key if acc else "", township_code=(township or None))
        except IntegrityError:
            pass  # this client read it before: counted once
    rendered = await asyncio.to_thread(articles.preview, article.body)
    statutes = await laws_service.get_cited(citations=[(x["law"], x["article"]) for x in article.laws])
    labels = articles.categories()
    return ArticlePage(article, rendered.html, statutes, [labels.get(c, c) for c in article.categories])


async def reads_of(article_id: int) -> int:
    return await PushRead.filter(article_id=article_id).count()
