"""What the catalog answers on WeChat: "查案例 欠薪" lists typical cases of the library with links;
"查案例" alone explains how to ask."""

from __future__ import annotations

import re

from app.catalog import service
from app.config import get_settings
from app.wechat.router import Inbound, Reply, TextReply, router

CASE_QUERY = re.compile(r"^\s*(?:查案例|案例查询|查询案例|找案例|典型案例)\s*[:：,，]?\s*(.{0,30}?)\s*$")
REPLY_MAX_BYTES = 2000  # under WeChat's 2048-byte text reply limit


@router.on_text(CASE_QUERY.pattern, priority=30)
async def case_search(inbound: Inbound) -> Reply | None:
    m = CASE_QUERY.match(inbound.text or "") if inbound.kind == "text" else None
    if m is None:
        return None
    base = get_settings().public_base_url.rstrip("/")
    query = m.group(1).strip()
    if not query:
        return TextReply("请在“查案例”后面写上关键词，例如：“查案例 欠薪”“查案例 遗嘱”。\n"
                         f"全部典型案例：{base}/catalog/cases")
    rows = await service.search_cases(q=query, limit=3)
    if not rows:
        return TextReply(f"没有找到与“{query}”有关的典型案例。可以换个词再查，或直接描述您的问题。\n"
                         f"全部典型案例：{base}/catalog/cases")
    lines = [f"与“{query}”有关的典型案例："]
    for i, c in enumerate(rows, start=1):
        lines.append(f"{i}. {c.title}\n{base}/catalog/cases/{c.slug}")
    lines.append("案例中的人物均为化名。遇到类似问题可直接描述，或拨打 12348。")
    text = "\n".join(lines)
    while len(text.encode()) > REPLY_MAX_BYTES and len(lines) > 2:
        lines.pop(-2)
        text = "\n".join(lines)
    return TextReply(text)
