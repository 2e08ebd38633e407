"""The case library (典型案例 / 以案释法): search, pages, and the console's write → review → publish, with
the anonymisation check on every submission and publication."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.catalog import anonymise
from app.catalog.content import CASE_SECTIONS, case_fields
from app.catalog.models import CaseStudy
from app.catalog.service.errors import BadCase, CaseNotFound, NotAnonymous, ReviewNotAllowed
from app.core.actor import Actor, Role
from app.core.clock import utcnow
from app.staff import service as staff_service

STATUS_ZH = {"draft": "草稿", "pending": "待审核", "published": "已发布", "returned": "已退回"}
TEXT_FIELDS = tuple(CASE_SECTIONS.values())


def full_text(c: dict[str, Any] | CaseStudy) -> str:
    get = c.get if isinstance(c, dict) else lambda k, d=None: getattr(c, k, d)
    return "\n".join([str(get("title", ""))] + [str(get(k, "")) for k in TEXT_FIELDS])


def search_text(c: dict[str, Any]) -> str:
    return " ".join([c["title"], " ".join(c["tags"]), " ".join(x["law"] for x in c["laws"]), full_text(c)]).lower()


async def anonymity_problems(c: dict[str, Any] | CaseStudy) -> list[str]:
    """Personal data in a case's text (numbers, names not declared pseudonyms); tagging runs in a thread."""
    pseudonyms = c.get("pseudonyms", []) if isinstance(c, dict) else c.pseudonyms
    return await asyncio.to_thread(anonymise.problems, full_text(c), pseudonyms=list(pseudonyms or []))


async def list_cases(*, q: str = "", category: str = "", published_only: bool = True,
                     limit: int = 100) -> list[CaseStudy]:
    qs = CaseStudy.all()
    if published_only:
        qs = qs.filter(status="published")
    if category:
        qs = qs.filter(category=category)
    rows = list(await qs.order_by("-published_at", "-id"))
    words = [w for w in re.split(r"[\s,，、]+", q.lower()) if w][:6]
    if words:
        scored = [(sum(w in r.search_text for w in words) + sum(w in r.title or w in r.tags for w in words), r)
                  for r in rows]
        rows = [r for s, r in sorted(scored, key=lambda x: -x[0]) if s > 0]
    return rows[:limit]


async def get_case(slug: str, *, published_only: bool = True) -> CaseStudy:
    qs = CaseStudy.filter(slug=slug)
    if published_only:
        qs = qs.filter(status="published")
    row = await qs.first()
    if row is None:
        raise CaseNotFound()
    return row


async def get_case_by_id(case_id: int) -> CaseStudy:
    row = await CaseStudy.get_or_none(id=case_id)
    if row is None:
        raise CaseNotFound()
    return row


async def for_category(category: str, *, limit: int = 3) -> list[CaseStudy]:
    """Published cases of a consultation category (knowledge-base answers and articles link to them)."""
    return list(await CaseStudy.filter(status="published", category=category).order_by("-published_at").limit(limit))


@dataclass
class CaseInput:
    """What the console's editor sends."""

    title: str
    category: str
    tags: str  # separated by spaces or 、
    laws: str  # one per line: 劳动合同法 第八十二条
    pseudonyms: str
    facts: str
    dispute: str
    resolution: str
    law_text: str
    lesson: str

    def parse(self, categories: dict[str, str]) -> dict[str, Any]:
        errors: list[str] = []
        laws = []
        for i, line in enumerate(self.laws.splitlines(), start=1):
            m = re.match(r"^\s*《?([^》\s]+?)》?\s*(第[零一二三四五六七八九十百千\d]+条(?:之[一二三四五六七八九十]+)?)\s*$", line)
            if line.strip() and not m:
                errors.append(f"所引法条第{i}行格式不对，应为“劳动合同法 第八十二条”：{line.strip()}")
            elif m:
                laws.append({"law": m.group(1), "article": m.group(2)})
        split = [t for t in re.split(r"[\s,，、;；]+", self.tags) if t]
        meta = {"title": self.title.strip(), "category": self.category, "tags": split, "laws": laws,
                "pseudonyms": [t for t in re.split(r"[\s,，、;；]+", self.pseudonyms) if t]}
        body = "\n".join(f"## {h}\n{getattr(self, k)}\n" for h, k in CASE_SECTIONS.items())
        data = case_fields(meta, body, categories=categories, name="案例", first_line=1, errors=errors)
        if data is None or errors:
            raise BadCase("；".join(errors))
        data.pop("author", None)  # the staff member writing it, set by the service
        return data


def as_input(c: CaseStudy) -> CaseInput:
    return CaseInput(title=c.title, category=c.category, tags=" ".join(c.tags),
                     laws="\n".join(f"{x['law']} {x['article']}" for x in c.laws), pseudonyms=" ".join(c.pseudonyms),
                     facts=c.facts, dispute=c.dispute, resolution=c.resolution, law_text=c.law_text, lesson=c.lesson)


def _slug() -> str:
    return f"case-{utcnow():%Y%m%d%H%M%S}-{utcnow().microsecond:06d}"


async def create_case(*, actor: Actor, data: CaseInput, categories: dict[str, str]) -> CaseStudy:
    fields_ = data.parse(categories)
    async with in_transaction():
        row = await CaseStudy.create(slug=_slug(), author=actor.name[:32], author_id=actor.id, status="draft",
                                     search_text=search_text(fields_), **fields_)
        await staff_service.audit(actor=actor, action="catalog.case_created", target_type="case_study", target_id=row.id)
    return row


def can_see(actor: Actor, c: CaseStudy) -> bool:
    """Drafts are the author's and the district's (reviewers, supervisors); published cases everyone's."""
    return actor.is_district or c.author_id == actor.id or c.status == "published"


async def get_case_for(actor: Actor, case_id: int) -> CaseStudy:
    """A case the staff member may see (another's draft is not found)."""
    row = await get_case_by_id(case_id)
    if not can_see(actor, row):
        raise CaseNotFound()
    return row


def can_edit(actor: Actor, c: CaseStudy) -> bool:
    if actor.read_only:
        return False
    return actor.role == Role.DISTRICT_ADMIN or c.author_id == actor.id


async def update_case(*, actor: Actor, case_id: int, data: CaseInput, categories: dict[str, str]) -> CaseStudy:
    """Edit a case: it goes back to draft (a published case leaves the public pages until approved again)."""
    fields_ = data.parse(categories)
    async with in_transaction():
        row = await get_case_for(actor, case_id)
        if not can_edit(actor, row):
            raise ReviewNotAllowed("只有作者或区管理员可以修改这个案例。")
        for k, v in fields_.items():
            setattr(row, k, v)
        row.search_text, row.status, row.published_at = search_text(fields_), "draft", None
        await row.save()
        await staff_service.audit(actor=actor, action="catalog.case_edited", target_type="case_study", target_id=row.id)
    return row


async def _refuse_personal_data(row: CaseStudy) -> None:
    found = await anonymity_problems(row)
    if found:
        raise NotAnonymous("案例中含有个人信息，不能提交或发布：" + "；".join(found), problems=found)


async def submit_case(*, actor: Actor, case_id: int) -> CaseStudy:
    """Ask for review; refused while the text holds personal data."""
    row = await get_case_for(actor, case_id)
    if not can_edit(actor, row):
        raise ReviewNotAllowed("只有作者或区管理员可以提交这个案例。")
    await _refuse_personal_data(row)
    async with in_transaction():
        row.status = "pending"
        await row.save(update_fields=["status", "updated_at"])
        await staff_service.audit(actor=actor, action="catalog.case_submitted", target_type="case_study",
                                  target_id=row.id)
    return row


async def approve_case(*, actor: Actor, case_id: int) -> CaseStudy:
    """A district administrator other than the author publishes a submitted case (checked again)."""
    row = await get_case_for(actor, case_id)
    if actor.role != Role.DISTRICT_ADMIN:
        raise ReviewNotAllowed("案例须由区管理员审核发布。")
    if row.author_id == actor.id:
        raise ReviewNotAllowed("不能审核自己写的案例，请另一位区管理员审核。")
    if row.status != "pending":
        raise ReviewNotAllowed("只有待审核的案例可以发布。")
    await _refuse_personal_data(row)
    async with in_transaction():
        row.status, row.reviewer_id, row.published_at, row.review_comment = "published", actor.id, utcnow(), ""
        await row.save()
        await staff_service.audit(actor=actor, action="catalog.case_published", target_type="case_study",
                                  target_id=row.id)
    return row


async def return_case(*, actor: Actor, case_id: int, comment: str) -> CaseStudy:
    row = await get_case_for(actor, case_id)
    if actor.role != Role.DISTRICT_ADMIN or row.status != "pending":
        raise ReviewNotAllowed("只有区管理员可以退回待审核的案例。")
    if not comment.strip():
        raise BadCase("请写明退回的原因。")
    async with in_transaction():
        row.status, row.review_comment, row.reviewer_id = "returned", comment.strip()[:500], actor.id
        await row.save()
        await staff_service.audit(actor=actor, action="catalog.case_returned", target_type="case_study",
                                  target_id=row.id, detail={"comment": row.review_comment})
    return row


async def console_cases(*, actor: Actor, status: str = "") -> list[CaseStudy]:
    """The cases a staff member may see (can_see), newest change first."""
    qs = CaseStudy.all()
    if status:
        qs = qs.filter(status=status)
    if not actor.is_district:
        qs = qs.filter(Q(author_id=actor.id) | Q(status="published"))
    return list(await qs.order_by("-updated_at"))


async def related_cases(words: list[str], *, limit: int = 3) -> list[CaseStudy]:
    """Published cases tagged with one of ``words`` (a service's name and keywords)."""
    out = []
    for row in await CaseStudy.filter(status="published").order_by("-published_at"):
        if any(w and any(w in t or t in w for t in [*row.tags, row.title]) for w in words):
            out.append(row)
    return out[:limit]
