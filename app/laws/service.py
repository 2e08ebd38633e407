"""The statute corpus: import a folder, look an article up by law and number, search by words."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.core import segment
from app.core.clock import utcnow
from app.errors import FawuError, InvalidInput, NotFound
from app.laws.index import ArticleIndex
from app.laws.index import article_index as _article_index
from app.laws.index import article_words as _article_words
from app.laws.models import Article, Law
from app.laws.parse import CN_NUM, article_label, cn_to_int, parse_article_label, parse_folder, short_name


class LawNotFound(NotFound):
    code = "law_not_found"
    message_zh = "法规库中没有这部法律。"


class ArticleNotFound(NotFound):
    code = "article_not_found"
    message_zh = "没有找到这一条。"


class CorpusFolderMissing(FawuError):
    code = "laws_folder_missing"
    message_zh = "法规文件目录不存在。"


# Abbreviations residents and staff use for common laws.
ALIASES: dict[str, str] = {
    "民诉法": "民事诉讼法", "刑诉法": "刑事诉讼法", "消法": "消费者权益保护法", "消保法": "消费者权益保护法",
    "劳动法": "劳动法", "劳合法": "劳动合同法", "交通法": "道路交通安全法", "道交法": "道路交通安全法",
    "治安处罚法": "治安管理处罚法", "援助法": "法律援助法", "调解法": "人民调解法", "反家暴法": "反家庭暴力法",
    "未保法": "未成年人保护法", "老年法": "老年人权益保障法", "个保法": "个人信息保护法", "民法": "民法典",
}


@dataclass(frozen=True)
class ImportReport:
    laws: int
    articles: int
    created: int
    updated: int

    def summary_zh(self) -> str:
        return f"法规 {self.laws} 部（新增 {self.created}，更新 {self.updated}），条文 {self.articles} 条"


@dataclass(frozen=True)
class ArticleView:
    law: str  # short name
    law_name: str  # full name
    date: dt.date | None
    label: str
    chapter: str
    text: str

    def cite(self) -> str:
        return f"《{self.law}》{self.label}"

    def as_text(self, *, max_chars: int = 600) -> str:
        date = f"（{self.date.isoformat()} 版本）" if self.date else ""
        body = self.text if len(self.text) <= max_chars else self.text[:max_chars] + "……"
        return f"{self.cite()}{date}\n{body}"

    def as_dict(self) -> dict[str, object]:
        return {"law": self.law, "law_name": self.law_name, "date": self.date.isoformat() if self.date else None,
                "article": self.label, "chapter": self.chapter, "text": self.text}


_names: dict[str, str] | None = None


def invalidate_cache() -> None:
    global _names
    _names = None


async def import_folder(*, folder: Path) -> ImportReport:
    """Load a statute corpus folder into the database; importing again updates in place."""
    if not folder.is_dir():
        raise CorpusFolderMissing(f"法规文件目录不存在：{folder}")
    parsed = parse_folder(folder)
    created = updated = total = 0
    now = utcnow()
    for sname, p in parsed.items():
        async with in_transaction():
            law = await Law.get_or_none(short_name=sname)
            if law is None:
                law = await Law.create(short_name=sname, name=p.name, date=p.date, source=p.source[:300],
                                       article_count=len(p.articles), imported_at=now)
                created += 1
            else:
                law.name, law.date, law.source = p.name, p.date, p.source[:300]
                law.article_count, law.imported_at = len(p.articles), now
                await law.save()
                await Article.filter(law_id=law.id).delete()
                updated += 1
            await Article.bulk_create([
                Article(law_id=law.id, number=a.number, sub=a.sub, label=a.label, chapter=a.chapter[:200],
                        text=a.text) for a in p.articles
            ], batch_size=500)
            total += len(p.articles)
    invalidate_cache()
    return ImportReport(laws=len(parsed), articles=total, created=created, updated=updated)


async def law_names() -> dict[str, str]:
    """Every name a law is known by (short, full, abbreviation) → its short name (cached)."""
    global _names
    if _names is None:
        names: dict[str, str] = {}
        for row in await Law.all().values("short_name", "name"):
            names[row["short_name"]] = row["short_name"]
            names[row["name"]] = row["short_name"]
        for alias, target in ALIASES.items():
            if target in names and alias not in names:
                names[alias] = target
        _names = names
    return _names


def _view(law: Law, art: Article) -> ArticleView:
    return ArticleView(law=law.short_name, law_name=law.name, date=law.date, label=art.label,
                       chapter=art.chapter, text=art.text)


async def get_article(*, law: str, article: str | int) -> ArticleView:
    """One article: law by short or full name or abbreviation, article as 第八十二条, 第82条, 82."""
    names = await law_names()
    sname = names.get(short_name(law)) or names.get(law)
    if sname is None:
        raise LawNotFound(f"法规库中没有《{short_name(law)}》。")
    try:
        if isinstance(article, int):
            number, sub = article, 0
        else:
            number, sub = parse_article_label(article)
    except ValueError as exc:
        raise InvalidInput(f"条号格式不对：{article}") from exc
    law_row = await Law.get_or_none(short_name=sname)
    if law_row is None:  # the names are cached per process: another process may have re-imported
        invalidate_cache()
        raise LawNotFound(f"法规库中没有《{short_name(law)}》。")
    art = await Article.get_or_none(law_id=law_row.id, number=number, sub=sub)
    if art is None:
        raise ArticleNotFound(f"《{sname}》没有{article_label(number, sub)}（共 {law_row.article_count} 条）。")
    return _view(law_row, art)


_NUM = rf"第?\s*([{CN_NUM}]+|\d+)\s*条(?:之([一二三四五六七八九十]+))?"


async def parse_lookup(text: str) -> tuple[str, int, int] | None:
    """Find "law + article number" in a message (劳动合同法第八十二条, 民法典1079条); None if absent."""
    names = await law_names()
    t = re.sub(r"[《》\s]", "", text)
    for name in sorted(names, key=len, reverse=True):
        idx = t.find(name)
        if idx < 0:
            continue
        m = re.match(_NUM, t[idx + len(name):])
        if not m:
            continue
        try:
            number = cn_to_int(m.group(1))
            sub = cn_to_int(m.group(2)) if m.group(2) else 0
        except ValueError:
            continue
        if number:
            return names[name], number, sub
    return None


_ART = rf"第[{CN_NUM}\d]+条(?:之[一二三四五六七八九十]+)?"
_CITED_LAW = re.compile(rf"《([^》]{{2,60}})》((?:\s*{_ART}(?:第[{CN_NUM}\d]+款)?[、，,和及与至\s]*)+)")
_CITED_ARTICLE = re.compile(rf"第([{CN_NUM}\d]+)条(?:之([一二三四五六七八九十]+))?")


async def unresolved_citations(text: str) -> list[str]:
    """What a free-text legal basis ("《中华人民共和国法律援助法》第四十一条、第四十二条") cites that the corpus
    (the law in force) does not hold, as sentences for staff; a text that names no article is one problem."""
    text = text.strip()
    if not text:
        return []
    problems: list[str] = []
    found = 0
    for m in _CITED_LAW.finditer(text):
        for a in _CITED_ARTICLE.finditer(m.group(2)):
            found += 1
            label = f"第{a.group(1)}条" + (f"之{a.group(2)}" if a.group(2) else "")
            try:
                await get_article(law=m.group(1), article=label)
            except FawuError as exc:
                problems.append(f"《{m.group(1)}》{label}：{exc.message_zh}")
    if not found:
        problems.append("没有识别出法条，请按“《法律名称》第X条”的格式填写（可写多条，用顿号隔开）。")
    return problems


async def search(*, words: list[str], limit: int = 5, law: str | None = None) -> list[ArticleView]:
    """Articles containing the words (all of them if possible, else the most of them)."""
    words = [w for w in dict.fromkeys(words) if w][:6]
    if not words:
        return []
    qs = Article.all()
    if law is not None:
        names = await law_names()
        if (sname := names.get(short_name(law))) is not None:
            qs = qs.filter(law__short_name=sname)
    cond = Q()
    for w in words:
        cond |= Q(text__contains=w)
    rows = await qs.filter(cond).limit(400).prefetch_related("law")
    scored = sorted(rows, key=lambda a: (-sum(w in a.text for w in words), len(a.text)))
    return [_view(a.law, a) for a in scored[:limit]]


async def get_cited(*, citations: list[tuple[str, str]]) -> list[ArticleView]:
    """The articles for (law, 第X条) pairs, skipping those not in the corpus."""
    out: list[ArticleView] = []
    for law, label in citations:
        try:
            out.append(await get_article(law=law, article=label))
        except FawuError:
            continue
    return out


_STOP = set("的了吗呢吧啊我你他是在有和与及或就都也还怎么什么哪些有关关于相关规定法条条文法律查询一下")


def terms(query: str) -> list[str]:
    """Search words of a query (the process's one segmenter, app.core.segment)."""
    out = []
    for w in segment.cut(re.sub(r"[^\u4e00-\u9fff0-9a-zA-Z]+", " ", query)):
        w = w.strip()
        if len(w) >= 2 and not all(ch in _STOP for ch in w):
            out.append(w)
    return out


async def corpus_size() -> int:
    return await Law.all().count()


@dataclass(frozen=True)
class LookupResult:
    articles: list[ArticleView]
    message: str


async def lookup(*, query: str, limit: int = 5) -> LookupResult:
    """One search box: "劳动合同法第八十二条" gives that article; other words search the texts."""
    query = query.strip()
    if not query:
        return LookupResult([], "")
    if not await Law.exists():
        return LookupResult([], "法规库尚未导入，请联系管理员（fawu laws import）。")
    found = await parse_lookup(query)
    if found is not None:
        law, number, sub = found
        try:
            view = await get_article(law=law, article=article_label(number, sub))
        except FawuError as exc:
            return LookupResult([], exc.message_zh)
        return LookupResult([view], "")
    names = await law_names()
    t = re.sub(r"[《》\s]", "", query)
    for name in sorted(names, key=len, reverse=True):
        if name in t and len(t) <= len(name) + 1:
            law_row = await Law.get(short_name=names[name])
            arts = await Article.filter(law_id=law_row.id).order_by("number", "sub").limit(limit)
            return LookupResult([_view(law_row, a) for a in arts],
                                f"《{law_row.short_name}》共 {law_row.article_count} 条，可输入条号查询，如 {name}第一条。")
    words = await asyncio.to_thread(terms, query)  # jieba: off the event loop
    views = await search(words=words or [query], limit=limit)
    return LookupResult(views, "" if views else f"没有找到与“{query}”有关的条文。")


def article_words(text: str) -> list[str]:
    """The words article-level retrieval searches with (the corpus's own segmentation)."""
    return _article_words(text)


def article_index(folder: Path, *, repealed: frozenset[str] = frozenset()) -> ArticleIndex:
    """Article-level retrieval over a corpus folder (no database; built once, off the event loop)."""
    return _article_index(folder, repealed=repealed)
