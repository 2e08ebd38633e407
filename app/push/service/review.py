"""The review (三审): draft → submitted → township lead → district approval, each step recorded.

The steps an article needs are ``settings.push_approvals`` (default township, then district); a
district article has no township step. The township lead is the author's supervisor (any other
township clerk of that township when the author has none); district approval is a district
administrator. Nobody approves their own article or approves it twice.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core import crypto
from app.core.actor import Actor, Role
from app.push.models import PushArticle
from app.push.service import articles
from app.push.service.errors import CommentRequired, NotReviewer, WrongStatus
from app.staff import service as staff_service

STEP_ZH = {"township": "镇街负责人审核", "district": "区司法局审批"}


def required_steps(article: PushArticle) -> list[str]:
    return [s for s in get_settings().push_approvals if s != "township" or article.township_code]


def pending_step(article: PushArticle) -> str | None:
    """The review the article waits for now (None: not waiting for one)."""
    steps = required_steps(article)
    if article.status == "submitted" and steps:
        return steps[0]
    if article.status == "township_ok" and "district" in steps:
        return "district"
    return None


async def may_review(actor: Actor, article: PushArticle) -> str | None:
    """The step the actor may decide now, or None."""
    step = pending_step(article)
    if step is None or actor.read_only or actor.id == article.author_id:
        return None
    if step == "township":
        if actor.role != Role.TOWNSHIP_STAFF or not actor.scope.allows(article.township_code):
            return None
        lead = await staff_service.supervisor_of(article.author_id) if article.author_id else None
        return step if lead in (None, actor.id) else None
    if actor.role != Role.DISTRICT_ADMIN or not actor.is_district or actor.id == article.township_review_by:
        return None
    return step


async def submit(*, actor: Actor, article_id: int, comment: str = "") -> PushArticle:
    """The author sends the article for review (its problems must be fixed first)."""
    article = await articles.get_article(article_id, actor=actor)
    if not articles.can_edit(actor, article):
        raise WrongStatus("只有草稿或退回修改的文章可以提交审核。")
    articles.require_clean(await articles.problems_of(article))
    before = article.status
    async with in_transaction():
        article.status = "submitted" if required_steps(article) else "approved"
        article.township_review_by = article.district_review_by = None
        if article.author_id is None:
            article.author_id = actor.id
        await article.save()
        await articles.record_step(article, actor, "submitted", before, comment.strip()[:1000])
    return article


async def approve(*, actor: Actor, article_id: int, comment: str = "", pin: str = "", ip: str = "") -> PushArticle:
    """One review step's approval; signed with the reviewer's personal SM2 key when they give their
    PIN (required with ``signed_actions``), the signature kept in the ``push.approved`` audit entry."""
    article = await articles.get_article(article_id, actor=actor)
    step = await may_review(actor, article)
    if step is None:
        raise NotReviewer("您不能审核这篇文章（本人写的文章、已审过的或不在您的审核范围）。")
    articles.require_clean(await articles.problems_of(article))
    before = article.status
    detail = {"step": step, "title": article.title[:100], "body_sm3": crypto.sm3_hex(article.body.encode("utf-8"))}
    signature = await staff_service.sign_action(actor=actor, pin=pin, action="push.approved", target_type="push",
                                                target_id=article.id, detail=detail)
    async with in_transaction():
        await staff_service.audit(actor=actor, action="push.approved", target_type="push", target_id=article.id,
                                  ip=ip, detail={**detail, **({"signature": signature.as_detail()} if signature else {})})
        if step == "township":
            article.township_review_by = actor.id
            article.status = "township_ok" if "district" in required_steps(article) else "approved"
        else:
            article.district_review_by = actor.id
            article.status = "approved"
        article.last_comment = ""
        await article.save()
        await articles.record_step(article, actor, f"approved:{step}", before, comment.strip()[:1000])
    return article


async def send_back(*, actor: Actor, article_id: int, comment: str) -> PushArticle:
    """Return the article to its author with the reviewer's comment (退回修改)."""
    article = await articles.get_article(article_id, actor=actor)
    step = await may_review(actor, article)
    if step is None:
        raise NotReviewer()
    if not comment.strip():
        raise CommentRequired()
    before = article.status
    async with in_transaction():
        article.status = "returned"
        article.last_comment = comment.strip()[:1000]
        article.township_review_by = article.district_review_by = None
        await article.save()
        await articles.record_step(article, actor, f"returned:{step}", before, article.last_comment)
    return article


async def withdraw(*, actor: Actor, article_id: int) -> PushArticle:
    """The author takes a submitted or approved (not yet scheduled) article back to edit it."""
    article = await articles.get_article(article_id, actor=actor)
    if article.status not in ("submitted", "township_ok", "approved") or actor.read_only:
        raise WrongStatus("只有待审核或已审批未排期的文章可以撤回。")
    if actor.id != article.author_id and not (actor.role == Role.DISTRICT_ADMIN and article.township_code is None):
        raise NotReviewer("只有作者可以撤回文章。")
    before = article.status
    async with in_transaction():
        article.status = "draft"
        article.township_review_by = article.district_review_by = None
        await article.save()
        await articles.record_step(article, actor, "withdrawn", before)
    return article


def approved_for_sending(article: PushArticle) -> bool:
    """Every review the configuration requires is recorded on the article."""
    if article.status not in ("approved", "scheduled", "sent"):
        return False
    steps = required_steps(article)
    return ("township" not in steps or article.township_review_by is not None) and \
        ("district" not in steps or article.district_review_by is not None)
