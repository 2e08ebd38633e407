"""Parsing the statute corpus (markdown, one file per law) and Chinese article numbers; no database."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

CN_PREFIX = "中华人民共和国"
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二三四五六七八九十百千两"
ARTICLE_START = re.compile(rf"^第([{CN_NUM}]+)条(?:之([一二三四五六七八九十]+))?[\s\u3000]+(.*)$")
DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
FILE_DATE_RE = re.compile(r"\((\d{4})-(\d{2})-(\d{2})\)")


def cn_to_int(s: str) -> int:
    """Chinese numerals (一千零七十九, 八十二, 十) → int."""
    if s.isdigit():
        return int(s)
    total, num = 0, 0
    for ch in s:
        if ch in _DIGITS:
            num = _DIGITS[ch]
        elif ch in _UNITS:
            total += (num or 1) * _UNITS[ch]
            num = 0
        else:
            raise ValueError(f"not a Chinese numeral: {s!r}")
    return total + num


def int_to_cn(n: int) -> str:
    """int → Chinese numerals as statutes write them (第十条, 第一百零八条, 第一千零七十九条)."""
    if n <= 0:
        raise ValueError("article numbers start at 1")
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    out = ""
    parts = [(1000, "千"), (100, "百"), (10, "十")]
    zero = False
    started = False
    for unit, name in parts:
        d = n // unit % 10
        if d:
            if zero and started:
                out += "零"
            out += digits[d] + name
            started = True
            zero = False
        elif started:
            zero = True
    if n % 10:
        if zero and started:
            out += "零"
        out += digits[n % 10]
    return out


def article_label(number: int, sub: int = 0) -> str:
    return f"第{int_to_cn(number)}条" + (f"之{int_to_cn(sub)}" if sub else "")


def parse_article_label(label: str) -> tuple[int, int]:
    """第八十二条 / 第82条 / 82 / 第一百三十三条之一 → (number, sub)."""
    m = re.fullmatch(rf"第?([{CN_NUM}]+|\d+)条?(?:之([一二三四五六七八九十]+))?", label.strip())
    if not m:
        raise ValueError(f"not an article: {label!r}")
    return cn_to_int(m.group(1)), cn_to_int(m.group(2)) if m.group(2) else 0


def short_name(name: str) -> str:
    return name.strip().strip("《》").replace(CN_PREFIX, "").strip()


@dataclass
class ParsedArticle:
    number: int
    sub: int
    label: str
    chapter: str
    text: str


@dataclass
class ParsedLaw:
    name: str
    short_name: str
    part: str
    date: dt.date | None
    source: str
    articles: list[ParsedArticle] = field(default_factory=list)


def parse_file(path: Path) -> ParsedLaw:
    """One statute file: first heading the name, optional second heading the part, dated history
    before ``<!-- INFO END -->``, headings for chapters, articles starting with 第X条."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    name = ""
    part = ""
    dates: list[dt.date] = []
    body_start = 0
    has_info_end = "<!-- INFO END -->" in text
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("<!-- INFO END"):
            body_start = i + 1
            break
        if s.startswith("# ") and not name:
            name = s[2:].strip()
            continue
        if s.startswith("# ") and name and not part:
            part = s[2:].strip()
            continue
        for y, m, d in DATE_RE.findall(s):
            try:
                dates.append(dt.date(int(y), int(m), int(d)))
            except ValueError:
                pass
    if not has_info_end:
        body_start = 1 if name else 0
    if not name:
        name = path.stem.split("_", 1)[-1].split("(")[0]
    if fm := FILE_DATE_RE.search(path.name):
        dates.append(dt.date(int(fm.group(1)), int(fm.group(2)), int(fm.group(3))))
    date = max(dates) if dates else None
    law = ParsedLaw(name=name, short_name=short_name(name), part=part, date=date, source=path.name)
    chapter = ""
    current: ParsedArticle | None = None
    seen: set[tuple[int, int]] = set()
    for line in lines[body_start:]:
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            chapter = s.lstrip("#").strip()
            current = None
            continue
        m = ARTICLE_START.match(s)
        if m:
            try:
                number = cn_to_int(m.group(1))
                sub = cn_to_int(m.group(2)) if m.group(2) else 0
            except ValueError:
                number = 0
                sub = 0
            if number and (number, sub) not in seen:
                seen.add((number, sub))
                label = f"第{m.group(1)}条" + (f"之{m.group(2)}" if m.group(2) else "")
                current = ParsedArticle(number, sub, label, chapter, s)
                law.articles.append(current)
                continue
        if current is not None:
            current.text += "\n" + s
    return law


def parse_folder(folder: Path) -> dict[str, ParsedLaw]:
    """Every law of a corpus folder by short name; the parts of one code (民法典) are merged."""
    laws: dict[str, ParsedLaw] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        parsed = parse_file(path)
        if not parsed.articles:
            continue
        for a in parsed.articles:
            a.chapter = f"{parsed.part} {a.chapter}".strip() if parsed.part else a.chapter
        existing = laws.get(parsed.short_name)
        if existing is None:
            laws[parsed.short_name] = parsed
            continue
        have = {(a.number, a.sub) for a in existing.articles}
        existing.articles.extend(a for a in parsed.articles if (a.number, a.sub) not in have)
        existing.articles.sort(key=lambda a: (a.number, a.sub))
        if parsed.date and (existing.date is None or parsed.date > existing.date):
            existing.date = parsed.date
        existing.source = "; ".join(filter(None, [existing.source, parsed.source]))[:300]
        existing.part = ""
    return laws
