"""The article library (content/articles/*.md): TOML front matter between ``+++`` lines, then Markdown.

Front matter: title, author, township (empty: the district's), categories (the consultation's
category codes), cover (images/<file>), summary, laws ([{law, article}]), optional season.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import get_settings

LOCAL_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,80}\.(png|jpe?g|gif)$", re.IGNORECASE)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ARTICLE_LABEL_RE = re.compile(r"^第[零〇一二三四五六七八九十百千]+条(之[一二三四五六七八九十]+)?$")
TITLE_MAX = 32  # WeChat's draft API: title up to 32 characters
AUTHOR_MAX = 16
SUMMARY_MAX = 120
CN_PREFIX = "中华人民共和国"


@dataclass
class ArticleFile:
    """One library article as read from its file."""

    slug: str
    title: str
    author: str
    township: str | None
    categories: list[str]
    cover: str
    summary: str
    laws: list[dict[str, str]]
    body: str
    season: str = ""
    source: str = ""
    problems: list[str] = field(default_factory=list)


def articles_dir() -> Path:
    return get_settings().content_dir / "articles"


def image_dirs() -> list[Path]:
    """Where ``images/<name>`` is looked for: the library's images, then those uploaded in the console."""
    s = get_settings()
    return [s.content_dir / "articles" / "images", s.var_dir / "push" / "images"]


def image_path(ref: str) -> Path | None:
    name = ref.strip().removeprefix("images/")
    if not LOCAL_NAME_RE.match(name):
        return None
    for folder in image_dirs():
        p = folder / name
        if p.is_file():
            return p
    return None


def short_law(name: str) -> str:
    return name.strip().strip("《》").strip().replace(CN_PREFIX, "")


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str | None]:
    """(front matter, body, problem) of a ``+++``-fenced file."""
    text = text.lstrip("\ufeff")
    if not text.startswith("+++"):
        return {}, text, "缺少开头的 +++ 前言（标题、作者等）"
    end = text.find("\n+++", 3)
    if end < 0:
        return {}, text, "前言没有以 +++ 结束"
    try:
        meta = tomllib.loads(text[3:end])
    except tomllib.TOMLDecodeError as exc:
        return {}, text[end + 4:], f"前言格式错误：{exc}"
    return meta, text[end + 4:].lstrip("\n"), None


def laws_of(value: Any) -> tuple[list[dict[str, str]], list[str]]:
    """The cited laws as [{law, article}] and the format problems."""
    out: list[dict[str, str]] = []
    problems: list[str] = []
    if not isinstance(value, list):
        return [], ["laws 须为列表，如 [{ law = \"劳动合同法\", article = \"第八十二条\" }]"]
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("law"), str) \
                or not isinstance(item.get("article"), str):
            problems.append(f"法条格式错误：{item!r}")
            continue
        law, article = short_law(item["law"]), item["article"].strip()
        if not ARTICLE_LABEL_RE.match(article):
            problems.append(f"条号格式错误：{article!r}（须为中文数字，如 第八十二条）")
            continue
        out.append({"law": law, "article": article})
    return out, problems


def parse_file(path: Path, *, categories: set[str]) -> ArticleFile:
    """Read one article file; its format problems are listed on it (never raised)."""
    meta, body, problem = split_front_matter(path.read_text(encoding="utf-8"))
    problems = [problem] if problem else []
    slug = path.stem
    if not SLUG_RE.match(slug):
        problems.append("文件名须为小写字母、数字和连字符（它就是文章的网址）")
    laws, law_problems = laws_of(meta.get("laws", []))
    cats = meta.get("categories", [])
    if not isinstance(cats, list) or not cats or not all(isinstance(c, str) and c in categories for c in cats):
        problems.append(f"categories 须为以下类别代码的列表：{', '.join(sorted(categories))}")
        cats = [c for c in cats if isinstance(c, str) and c in categories] if isinstance(cats, list) else []
    township = str(meta.get("township", "") or "").strip() or None
    art = ArticleFile(slug=slug, title=str(meta.get("title", "")).strip(), author=str(meta.get("author", "")).strip(),
                      township=township, categories=list(cats), cover=str(meta.get("cover", "")).strip(),
                      summary=str(meta.get("summary", "")).strip(), laws=laws, body=body,
                      season=str(meta.get("season", "")).strip(), source=str(path), problems=problems + law_problems)
    art.problems += front_matter_problems(title=art.title, author=art.author, summary=art.summary, cover=art.cover,
                                          laws=art.laws)
    return art


def front_matter_problems(*, title: str, author: str, summary: str, cover: str,
                          laws: list[dict[str, str]]) -> list[str]:
    """The field rules WeChat and fawu set (the same for library files and console edits)."""
    problems = []
    if not title:
        problems.append("缺少标题")
    elif len(title) > TITLE_MAX:
        problems.append(f"标题过长（{len(title)} 字），微信图文标题最多 {TITLE_MAX} 字")
    if len(author) > AUTHOR_MAX:
        problems.append(f"作者过长，最多 {AUTHOR_MAX} 字")
    if not summary:
        problems.append("缺少摘要（显示在微信消息卡片上）")
    elif len(summary) > SUMMARY_MAX:
        problems.append(f"摘要过长（{len(summary)} 字），最多 {SUMMARY_MAX} 字")
    if not cover:
        problems.append("缺少封面图片（cover = \"images/文件名.png\"）")
    if not laws:
        problems.append("须列出文中引用的法条（laws），普法文章应引用现行有效的法律")
    return problems


def load_folder(folder: Path, *, categories: set[str]) -> list[ArticleFile]:
    if not folder.is_dir():
        return []
    return [parse_file(p, categories=categories) for p in sorted(folder.glob("*.md")) if p.name != "README.md"]
