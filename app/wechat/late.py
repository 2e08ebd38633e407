"""Answers that overran the passive-reply budget: deferred, finished in the background, delivered once.

A message's status is compare-and-set: deferred/redoing → answered → delivering → delivered.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from app.core import metrics
from app.core.clock import utcnow
from app.jobs import service as jobs
from app.matrix.service import Account, get_matrix
from app.wechat import delivery, service
from app.wechat.envelope import inbound_from, parse_xml
from app.wechat.processing import process
from app.wechat.router import Inbound, InboundRouter
from app.wechat.router import router as default_router

log = logging.getLogger("fawu.wechat.callback")

# Background tasks of over-budget handlers (kept referenced until done).
_background: set[asyncio.Task[Any]] = set()


async def defer(acc: Account, inbound: Inbound, task: asyncio.Task[str]) -> bool:
    """Over budget: mark deferred, let the handler finish in the background, and keep a safety job.

    False when the handler won the compare-and-set (it stored "done" in the meantime): then nothing is
    deferred, the passive reply is the one answer, and the caller returns it.
    """
    if not await service.finish_inbound(inbound_id=inbound.message_id or 0, status="deferred",
                                        only_if="processing"):
        return False
    await jobs.enqueue("wechat.reply_later", {"inbound_id": inbound.message_id},
                       run_at=later(60), dedupe_key=f"wechat.reply_later:{inbound.message_id}")
    bg = asyncio.ensure_future(_finish_late(acc, inbound, task))
    _background.add(bg)
    bg.add_done_callback(_background.discard)
    return True


def later(seconds: float) -> datetime:
    """The moment ``seconds`` from now (UTC)."""
    return utcnow() + timedelta(seconds=seconds)


async def _finish_late(acc: Account, inbound: Inbound, task: asyncio.Task[str]) -> None:
    try:
        await task
    except Exception:
        metrics.caught("wechat.late", log, "late wechat handler failed: account=%s", acc.key)
        return  # the reply_later job re-runs it
    await deliver_stored(inbound_id=inbound.message_id or 0)


async def deliver_stored(*, inbound_id: int) -> str | None:
    """Send the stored answer of a deferred message once (compare-and-set answered → delivering → delivered).

    Only an "answered" message goes this way: a "done" one was answered passively (and a retry gets
    that same reply), so it is never also sent here.
    """
    row = await service.get_inbound(inbound_id)
    if row.status != "answered" or not row.reply_text:
        return None
    if not await service.finish_inbound(inbound_id=inbound_id, status="delivering", only_if="answered"):
        return None
    if row.reply_text.startswith("[图文] "):
        articles = _articles_from_xml(row.reply_xml or "")
        how = await delivery.deliver_news(account_key=row.account_key, openid=row.openid, articles=articles,
                                          inbound_id=inbound_id)
    else:
        how = await delivery.deliver_text(account_key=row.account_key, openid=row.openid, text=row.reply_text,
                                          inbound_id=inbound_id)
    await service.finish_inbound(inbound_id=inbound_id, status="delivered", only_if="delivering")
    return how


def _articles_from_xml(xml: str) -> list[dict[str, str]]:
    f = parse_xml(xml.encode("utf-8"))
    items = f.get("Articles", {}).get("item", [])
    if isinstance(items, dict):
        items = [items]
    return [{"title": i.get("Title", ""), "description": i.get("Description", ""), "url": i.get("Url", ""),
             "image": i.get("PicUrl", "")} for i in items]


async def reprocess(*, inbound_id: int, router: InboundRouter | None = None) -> str | None:
    """The reply_later job: deliver a stored late answer, or compute it again if its task died."""
    row = await service.get_inbound(inbound_id)
    if row.status == "answered":
        return await deliver_stored(inbound_id=inbound_id)
    if row.status != "deferred":
        return None
    acc = get_matrix().get(row.account_key)
    if acc is None:
        return None
    # "redoing", not "processing": a retry arriving now must still get success, never a passive reply
    if not await service.finish_inbound(inbound_id=inbound_id, status="redoing", only_if="deferred"):
        return None
    fields = dict(row.fields_json or {})
    inbound = inbound_from(acc, fields)
    inbound.message_id = row.id
    inbound.created_at = row.created_at
    await process(acc, inbound, router or default_router)
    return await deliver_stored(inbound_id=inbound_id)
