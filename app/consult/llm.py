"""Optional phrasing by an OpenAI-compatible model, grounded in the retrieved entries and statutes only.

Off unless ``consult_llm_url`` is set. Bounded by ``consult_llm_timeout``; on timeout, error, or an
answer whose citations are not all grounded, the caller sends the retrieval answer instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from app.config import Settings
from app.consult.kb import Entry, short_law_name
from app.core import metrics

log = logging.getLogger("fawu.consult.llm")

CITATION_RE = re.compile(r"《([^《》]{2,60})》\s*(第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)")

SYSTEM_PROMPT = (
    "你是区公共法律服务平台的咨询助手。只能根据下面给出的知识库条目和法条回答居民的问题。"
    "第一行写“选用：N”，N 是最能回答这个问题的条目编号；然后先用一两句话回答是或否、关键点，"
    "再用通俗的中文说下一步怎么办，全文不超过250字。引用法条时写成《法律名称》第X条，且只能引用给出的法条，"
    "不得编造法条。最后提醒居民情况复杂时咨询律师或拨打 12348。"
)
CHOICE_RE = re.compile(r"^\s*(?:选用|选择|条目)\s*[:：]?\s*(\d)\s*[\n。，,;；]?")
# Characters XML 1.0 cannot carry, and markup a chat model likes to add.
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_MARKUP = re.compile(r"<[^>\n]{1,200}>|```[a-z]*|\*\*|__|^#{1,6}\s*|^\s*[-*]\s+(?=\S)", re.M)
MAX_CHARS = 400

_client: httpx.AsyncClient | None = None


def _get_client() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        _client = httpx.AsyncClient()
    return _client


async def close() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def build_messages(question: str, entries: list[Entry]) -> list[dict[str, str]]:
    parts = []
    for i, e in enumerate(entries, start=1):
        cites = "、".join(s.cite() for s in e.statutes)
        parts.append(f"条目 {i}【{e.question}】\n{e.answer}\n可引用法条：{cites}")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "知识库条目：\n" + "\n\n".join(parts) + f"\n\n居民的问题：{question}"},
    ]


def clean(text: str) -> str:
    """The model's text made safe and plain for a WeChat XML reply: no control or non-XML characters,
    no markup (HTML tags, markdown), no runs of blank lines, at most MAX_CHARS characters."""
    text = _XML_BAD.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _MARKUP.sub("", text)
    text = re.sub(r"[ \t\u3000]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS - 2].rstrip("，、,") + "……"
    return text


def choice(text: str, n: int) -> tuple[int, str]:
    """The entry the model chose (0-based; 0 when it names none or one out of range) and the rest."""
    m = CHOICE_RE.match(text)
    if not m:
        return 0, text
    k = int(m.group(1)) - 1
    return (k if 0 <= k < n else 0), text[m.end():].lstrip()


def ground(text: str, entries: list[Entry], *, exists: Any = None) -> tuple[str, int]:
    """Drop every 《law》第X条 not among the entries' statutes (nor, given ``exists(law, article)``,
    absent from the statute corpus); returns (text, grounded citations kept)."""
    allowed = {(short_law_name(s.law), s.article) for e in entries for s in e.statutes}
    if exists is not None:
        allowed = {k for k in allowed if exists(*k)}
    kept = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal kept
        if (short_law_name(m.group(1)), m.group(2)) in allowed:
            kept += 1
            return m.group(0)
        return ""

    cleaned = CITATION_RE.sub(repl, text)
    cleaned = re.sub(r"(根据|依据|按照|参照)[、，,\s]*(?=[，。,.；;])", "", cleaned)
    cleaned = re.sub(r"[、，,]\s*([、，,。])", r"\1", cleaned)
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip()
    return cleaned, kept


@dataclass(frozen=True)
class Phrased:
    text: str
    choice: int  # the entry the model found best (0-based index of the entries given)


async def phrase(question: str, entries: list[Entry], *, settings: Settings,
                 exists: Any = None) -> Phrased | None:
    """The model's choice among the entries and its answer, grounded and cleaned; None when the model
    is off, slow, failing or ungrounded (the caller then sends the retrieval answer)."""
    if not settings.consult_llm_url or not entries:
        return None
    headers = {}
    key = settings.consult_llm_api_key.get_secret_value()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body: dict[str, Any] = {
        "model": settings.consult_llm_model,
        "messages": build_messages(question, entries),
        "temperature": 0.2,
        "max_tokens": 600,
    }
    try:
        resp = await asyncio.wait_for(
            _get_client().post(endpoint(settings.consult_llm_url), json=body, headers=headers,
                               timeout=settings.consult_llm_timeout),
            timeout=settings.consult_llm_timeout,
        )
        resp.raise_for_status()
        content = resp.json()["choices"][0]["message"]["content"]
    except (TimeoutError, httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
        metrics.caught("consult.llm", log, "language model unavailable, retrieval answer sent: %s",
                       type(exc).__name__, level=logging.WARNING)
        return None
    if not isinstance(content, str) or not content.strip():
        return None
    k, rest = choice(clean(content), len(entries))
    text, kept = ground(rest, entries, exists=exists)
    text = clean(text)
    if kept == 0 or len(text) < 20:
        log.warning("language model answer without grounded citation dropped")
        return None
    return Phrased(text, k)
