"""Markdown to the HTML WeChat accepts in an article: a small tag set, no scripts, styles or frames,
images only from the account's material (or fawu's own page), links only to fawu or WeChat.

The sanitiser is nh3 (Ammonia); what it removed is reported so the author can see and fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt

# WeChat's article editor keeps these; everything else is dropped (with its content for the first set).
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
                     "form", "textarea", "select", "button"}
TAGS = {"p", "br", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "img", "a",
        "table", "thead", "tbody", "tr", "th", "td", "hr", "span", "section", "code"}
ATTRIBUTES = {"img": {"src", "alt"}, "a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
LOCAL_IMAGE_RE = re.compile(r"^images/[A-Za-z0-9_.-]{1,80}\.(png|jpe?g|gif)$", re.IGNORECASE)
MAX_CONTENT_CHARS = 20_000  # WeChat: article content under 20,000 characters

_RISKY = [
    (re.compile(r"<\s*script\b", re.I), "脚本（<script>）"),
    (re.compile(r"<\s*style\b", re.I), "内嵌样式表（<style>）"),
    (re.compile(r"<\s*link\b", re.I), "外部样式表或资源（<link>）"),
    (re.compile(r"<\s*iframe\b", re.I), "内嵌网页（<iframe>）"),
    (re.compile(r"<\s*(object|embed)\b", re.I), "插件内容（<object>/<embed>）"),
    (re.compile(r"<\s*form\b", re.I), "表单（<form>）"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "事件脚本（onclick 等属性）"),
    (re.compile(r"javascript\s*:", re.I), "javascript: 链接"),
    (re.compile(r"\sstyle\s*=", re.I), "style 样式属性"),
    (re.compile(r"@import\b", re.I), "外部样式（@import）"),
]

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")


@dataclass
class Rendered:
    """The sanitised HTML, the local images it uses (in order) and what the author must fix."""

    html: str
    images: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # what the sanitiser took out
    problems: list[str] = field(default_factory=list)  # external images, oversized content

    @property
    def chars(self) -> int:
        return len(self.html)


def is_local_image(ref: str) -> bool:
    return bool(LOCAL_IMAGE_RE.match(ref.strip()))


def render(body: str, *, image_url: Callable[[str], str | None], link_ok: Callable[[str], bool]) -> Rendered:
    """Markdown → sanitised HTML. ``image_url(ref)`` gives the URL a local image is shown at (None:
    unknown image, dropped); ``link_ok(href)`` says whether a link may stay (else only its text stays)."""
    raw = _md.render(body or "")
    out = Rendered(html="")
    for pattern, label in _RISKY:
        if pattern.search(raw):
            out.removed.append(label)

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            ref = value.strip()
            if is_local_image(ref):
                url = image_url(ref)
                if url is None:
                    out.problems.append(f"图片 {ref} 不存在，请先上传")
                    return None
                if ref not in out.images:
                    out.images.append(ref)
                return url
            out.problems.append(f"外部图片 {ref[:80]} 在微信中无法显示，请把图片上传到本系统后再引用")
            return None
        if tag == "a" and attr == "href":
            return value if link_ok(value) else None
        return value

    html = nh3.clean(raw, tags=TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ATTRIBUTES,
                     attribute_filter=attribute_filter, strip_comments=True, link_rel=None,
                     url_schemes={"http", "https"})
    out.html = re.sub(r"<img(?![^>]*\ssrc=)[^>]*>", "", html)  # an image whose source was refused
    if out.chars > MAX_CONTENT_CHARS:
        out.problems.append(f"正文过长（{out.chars} 字符），微信图文正文须少于 {MAX_CONTENT_CHARS} 字符，请拆成两篇")
    return out
