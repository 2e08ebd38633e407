"""Rendering passive replies: text and news XML, and long texts cut into parts."""

from __future__ import annotations

import time

from wechatpy.replies import ArticlesReply
from wechatpy.replies import TextReply as WxTextReply

from app.matrix.service import Account
from app.wechat.router import NewsReply, Reply, TextReply

CONTINUED = "\n（未完，续见下条）"


def _cdata_safe(s: str) -> str:
    return s.replace("]]>", "]]]]><![CDATA[>")


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into parts of at most ``limit`` UTF-8 bytes (at line ends where possible)."""
    parts: list[str] = []
    suffix_len = len(CONTINUED.encode("utf-8"))
    while len(text.encode("utf-8")) > limit:
        budget = limit - suffix_len
        cut = len(text.encode("utf-8")[:budget].decode("utf-8", "ignore"))
        nl = text.rfind("\n", 0, cut)
        if nl > cut // 2:
            cut = nl
        parts.append(text[:cut].rstrip() + CONTINUED)
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def render_reply(acc: Account, openid: str, reply: Reply, *, after_message: bool) -> tuple[str, str | None]:
    """(plain XML, bot text for the log); empty XML means ``success``."""
    now = int(time.time())
    if isinstance(reply, TextReply):
        content = reply.content
        xml = WxTextReply(source=acc.original_id, target=openid, time=now, content=_cdata_safe(content)).render()
        return xml, content
    if isinstance(reply, NewsReply):
        articles = reply.articles[: 1 if after_message else 8]
        if not articles:
            return "", None
        wx = ArticlesReply(source=acc.original_id, target=openid, time=now, articles=[
            {"title": _cdata_safe(a.title), "description": _cdata_safe(a.description), "url": a.url,
             "image": a.image} for a in articles])
        return wx.render(), "[图文] " + "；".join(a.title for a in articles)
    return "", None
