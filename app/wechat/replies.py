"""Rendering passive replies: text and news XML (cleaned and checked before it leaves), long texts cut into
parts on grapheme-cluster boundaries (an emoji ZWJ sequence or a flag is never cut in two)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import regex
from wechatpy.replies import ArticlesReply
from wechatpy.replies import TextReply as WxTextReply

from app.core import metrics
from app.matrix.service import Account
from app.wechat.envelope import Rejected, parse_xml
from app.wechat.router import NewsReply, Reply, TextReply

log = logging.getLogger("fawu.wechat.replies")

CONTINUED = "\n（未完，续见下条）"
BUSY_TEXT = "系统繁忙，请稍后再试。如有急事请拨打公共法律服务热线 12348。"
# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF), and DEL and
# the C1 controls, which XML allows but no one means to send: LLM output sometimes holds \x0b or \x08,
# and one of them makes the whole reply invalid ("该公众号暂时无法提供服务").
_UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_GRAPHEME = regex.compile(r"\X")


def clean_text(s: str) -> str:
    """``s`` without the characters that cannot (or should not) travel in WeChat's XML."""
    return _UNSENDABLE.sub("", s)


def _cdata_safe(s: str) -> str:
    return clean_text(s).replace("]]>", "]]]]><![CDATA[>")


def _grapheme_cut(text: str, budget: int) -> int:
    """The longest prefix of whole grapheme clusters within ``budget`` UTF-8 bytes (its length in code points)."""
    size = cut = 0
    for m in _GRAPHEME.finditer(text):
        size += len(m.group().encode("utf-8"))
        if size > budget:
            break
        cut = m.end()
    if cut == 0:  # one cluster longer than the budget (hundreds of combining marks): cut it by code point
        cut = max(1, len(text.encode("utf-8")[:budget].decode("utf-8", "ignore")))
    return cut


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into parts of at most ``limit`` UTF-8 bytes, at line ends where possible and always
    between grapheme clusters; every part but the last says that more follows."""
    parts: list[str] = []
    suffix_len = len(CONTINUED.encode("utf-8"))
    while len(text.encode("utf-8")) > limit:
        cut = _grapheme_cut(text, limit - suffix_len)
        nl = text.rfind("\n", 0, cut)
        if nl > cut // 2:
            cut = nl
        parts.append(text[:cut].rstrip() + CONTINUED)
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def check_reply_xml(xml: str, *, source: str, target: str | None) -> None:
    """Raise Rejected unless ``xml`` is a passive reply WeChat takes: well-formed XML with the fields of
    its MsgType, from the account (``source``) to the resident (``target``, when given)."""
    f = parse_xml(xml.encode("utf-8"))
    if (target is not None and f.get("ToUserName") != target) or f.get("FromUserName") != source or not str(f.get("CreateTime", "")).isdigit():
        raise Rejected(500, "reply addressed wrongly")
    kind = f.get("MsgType")
    if kind == "text":
        if not isinstance(f.get("Content"), str):
            raise Rejected(500, "text reply without Content")
    elif kind == "news":
        items: Any = (f.get("Articles") or {}).get("item") if isinstance(f.get("Articles"), dict) else None
        items = [items] if isinstance(items, dict) else items
        if not items or str(len(items)) != str(f.get("ArticleCount")):
            raise Rejected(500, "news reply without matching articles")
    else:
        raise Rejected(500, f"reply of unknown MsgType {kind!r}")


def _render(acc: Account, openid: str, reply: Reply, *, after_message: bool) -> tuple[str, str | None]:
    now = int(time.time())
    if isinstance(reply, TextReply):
        content = clean_text(reply.content)
        xml = WxTextReply(source=acc.original_id, target=openid, time=now, content=_cdata_safe(content)).render()
        return xml, content
    if isinstance(reply, NewsReply):
        articles = reply.articles[: 1 if after_message else 8]
        if not articles:
            return "", None
        wx = ArticlesReply(source=acc.original_id, target=openid, time=now, articles=[
            {"title": _cdata_safe(a.title), "description": _cdata_safe(a.description), "url": _cdata_safe(a.url),
             "image": _cdata_safe(a.image)} for a in articles])
        return wx.render(), "[图文] " + "；".join(clean_text(a.title) for a in articles)
    return "", None


def render_reply(acc: Account, openid: str, reply: Reply, *, after_message: bool) -> tuple[str, str | None]:
    """(plain XML, bot text for the log); empty XML means ``success``. The XML is checked before it is
    returned: a reply WeChat would refuse becomes the polite fallback text, never invalid XML."""
    xml, text = _render(acc, openid, reply, after_message=after_message)
    if not xml:
        return xml, text
    try:
        check_reply_xml(xml, source=acc.original_id, target=openid)
    except Rejected as exc:
        log.error("passive reply refused before sending: account=%s reason=%s", acc.key, exc.reason)
        metrics.errors_swallowed.labels("wechat.reply_xml").inc()
        return _render(acc, openid, TextReply(BUSY_TEXT), after_message=after_message)
    return xml, text
