"""Delivering one account's part of a send (the job ``push.deliver``): images to material, the draft,
the tag when the account must be selective, then the mass send(s), each with its own clientmsgid.

Every step stores what it got before the next, so a retried job picks up where it stopped; a
mass send retried after a timeout carries the same clientmsgid and WeChat answers 45065 with the
earlier msg_id instead of sending again. Quota and permission refusals end the delivery; busy,
timeouts and API limits (-1, -2, 45009, 45066) raise so the outbox retries with back-off.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mimetypes
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core import metrics
from app.core.clock import utcnow
from app.jobs import service as jobs
from app.push.models import PushArticle, PushChunk, PushDelivery, PushJobEvent, PushMaterial, PushSend
from app.push.service import articles, library
from app.push.service.render import render
from app.wechat import quotas
from app.wechat.client import get_client
from app.wechat.errors import (
    DuplicateMassSend,
    InvalidRequest,
    MassQuotaExceeded,
    Unauthorized,
    WeChatAPIError,
)

log = logging.getLogger("fawu.push")
FINAL = (MassQuotaExceeded, Unauthorized, InvalidRequest)
TAGGING_CONCURRENCY = 8  # tagging calls in flight for one delivery


async def _material(account_key: str, ref: str) -> PushMaterial:
    """The account's permanent material for a local image (uploaded once per account and image)."""
    path = library.image_path(ref)
    if path is None:
        raise InvalidRequest(40007, f"image {ref} missing", account_key=account_key)
    content = await asyncio.to_thread(path.read_bytes)
    digest = hashlib.sha256(content).hexdigest()
    row = await PushMaterial.get_or_none(account_key=account_key, sha256=digest)
    if row is not None:
        return row
    ctype = mimetypes.guess_type(path.name)[0] or "image/png"
    data = await get_client().material_upload(account_key, media_type="image", filename=path.name, content=content,
                                              content_type=ctype)
    row, _ = await PushMaterial.get_or_create(account_key=account_key, sha256=digest,
                                              defaults={"media_id": str(data["media_id"]),
                                                        "url": str(data.get("url", ""))})
    return row


async def wechat_article(article: PushArticle, account_key: str) -> dict[str, Any]:
    """The draft article for one account: images swapped for the account's material URLs."""
    urls: dict[str, str] = {}
    for ref in articles.preview(article.body).images:
        urls[ref] = (await _material(account_key, ref)).url
    html = render(article.body, image_url=urls.get, link_ok=articles.link_ok).html
    thumb = await _material(account_key, article.cover)
    base = get_settings().public_base_url
    return {"article_type": "news", "title": article.title, "author": article.author[:16],
            "digest": article.summary[:120], "content": html, "thumb_media_id": thumb.media_id,
            "content_source_url": f"{base}/articles/{article.slug}?a={account_key}",
            "need_open_comment": 0, "only_fans_can_comment": 0}


async def _tag(delivery: PushDelivery) -> int:
    """The tag made for this delivery, with its members (tagging again is harmless)."""
    client = get_client()
    if delivery.tag_id is None:
        name = f"普法推送{delivery.id}"
        existing = [t for t in await client.tags_get(delivery.account_key) if t.get("name") == name]
        tag = existing[0] if existing else await client.tags_create(delivery.account_key, name)
        delivery.tag_id = int(tag["id"])
        await delivery.save(update_fields=["tag_id"])
    members = list(delivery.members)
    tag_id = delivery.tag_id
    gate = asyncio.Semaphore(TAGGING_CONCURRENCY)

    async def tag_part(part: list[str]) -> None:
        async with gate:
            await client.tags_members_batchtagging(delivery.account_key, tag_id, part)

    await asyncio.gather(*(tag_part(members[i:i + 50]) for i in range(0, len(members), 50)))  # WeChat: 50 a call
    return tag_id


async def _submit(delivery: PushDelivery, chunk: PushChunk) -> None:
    """One mass send; on 45065 (this clientmsgid was already sent) take WeChat's earlier msg_id."""
    client = get_client()
    body = {"media_id": delivery.draft_media_id}
    chunk.attempts += 1
    await chunk.save(update_fields=["attempts"])
    try:
        if delivery.mode == "openids":
            results = await client.mass_send_by_openids(delivery.account_key, openids=list(chunk.openids),
                                                        msgtype="mpnews", body=body, clientmsgid=chunk.clientmsgid,
                                                        send_ignore_reprint=True)
            msg_id = str(results[0].get("msg_id", "")) if results else ""
        else:
            tag_id = await _tag(delivery) if delivery.mode == "tagged" else None
            data = await client.mass_send_by_tag(delivery.account_key, msgtype="mpnews", body=body, tag_id=tag_id,
                                                 is_to_all=delivery.mode == "all", clientmsgid=chunk.clientmsgid,
                                                 send_ignore_reprint=True)
            msg_id = str(data.get("msg_id", ""))
    except DuplicateMassSend as exc:
        if exc.errcode != 45065:
            raise  # 45066: retried too fast, the outbox tries again later
        msg_id = str((getattr(exc, "response", None) or {}).get("msg_id", ""))
        sent_cid = chunk.clientmsgid + ("-0" if delivery.mode == "openids" else "")
        log.info("mass send %s already accepted by WeChat (45065), msg_id %s", sent_cid, msg_id or "?")
        # the first try reached WeChat but its answer was lost: count it in the quota ledger now
        target = {"openids": "openids", "all": "all"}.get(delivery.mode, "tag")
        await quotas.record_mass_send(account_key=delivery.account_key, target=target,
                                      result={"msg_id": msg_id}, clientmsgid=sent_cid, msgtype="mpnews",
                                      tag_id=delivery.tag_id, openids=list(chunk.openids) or None)
    chunk.msg_id, chunk.status, chunk.submitted_at = msg_id, "submitted", utcnow()
    await chunk.save(update_fields=["msg_id", "status", "submitted_at"])
    await _match(account_key=delivery.account_key, msg_id=msg_id)  # the event may have come first


async def deliver(delivery_id: int) -> str:
    """Run (or resume) one delivery; returns its status."""
    delivery = await PushDelivery.get_or_none(id=delivery_id)
    if delivery is None or delivery.status in ("sent", "refused", "failed", "cancelled"):
        return delivery.status if delivery else "missing"
    send = await PushSend.get(id=delivery.send_id)
    if send.status == "cancelled":
        await PushDelivery.filter(id=delivery.id).update(status="cancelled")
        return "cancelled"
    article = await PushArticle.get(id=delivery.article_id)
    if send.status == "scheduled":
        await PushSend.filter(id=send.id, status="scheduled").update(status="sending")
    delivery.status = "sending"
    await delivery.save(update_fields=["status"])
    try:
        if not delivery.draft_media_id:
            payload = await wechat_article(article, delivery.account_key)
            delivery.thumb_media_id = payload["thumb_media_id"]
            delivery.draft_media_id = await get_client().draft_add(delivery.account_key, [payload])
            await delivery.save(update_fields=["thumb_media_id", "draft_media_id"])
        for chunk in await PushChunk.filter(delivery_id=delivery.id, status="pending").order_by("index"):
            await _submit(delivery, chunk)
    except FINAL as exc:
        await _end(delivery, "refused" if isinstance(exc, MassQuotaExceeded) else "failed", exc)
        return delivery.status
    except WeChatAPIError as exc:
        delivery.error = f"[{exc.errcode}] {exc.errmsg}"[:300]
        await delivery.save(update_fields=["error"])
        raise  # the outbox retries with back-off
    await _end(delivery, "sent", None)
    return delivery.status


async def _end(delivery: PushDelivery, status: str, exc: WeChatAPIError | None) -> None:
    async with in_transaction():
        delivery.status = status
        delivery.error = f"[{exc.errcode}] {exc.message_zh} {exc.errmsg}"[:300] if exc else ""
        delivery.sent_at = utcnow() if status == "sent" else None
        await delivery.save(update_fields=["status", "error", "sent_at"])
        await _settle_send(delivery.send_id)


async def _settle_send(send_id: int) -> None:
    """When no delivery is left to run: the send's outcome, and the article is sent and published."""
    statuses = await PushDelivery.filter(send_id=send_id).values_list("status", flat=True)
    if any(s in ("pending", "sending") for s in statuses):
        return
    sent = sum(1 for s in statuses if s == "sent")
    outcome = "sent" if sent == len(statuses) else ("partly" if sent else "failed")
    send = await PushSend.get(id=send_id)
    if send.status in ("sent", "partly", "failed", "cancelled"):
        return
    send.status, send.finished_at = outcome, utcnow()
    await send.save(update_fields=["status", "finished_at"])
    article = await PushArticle.get(id=send.article_id)
    if sent:
        before = article.status
        article.status = "sent"
        article.published_at = article.published_at or utcnow()
        await article.save(update_fields=["status", "published_at", "updated_at"])
        await articles.record_step(article, None, "sent", before, f"推送 #{send.id}：{ {'sent': '已发送', 'partly': '部分发送'}[outcome] }")


async def record_job_finished(*, account_key: str, msg_id: str, raw: dict[str, Any]) -> bool:
    """MASSSENDJOBFINISH: kept, then its counts stored on the chunk and summed on the delivery; False
    when no chunk has that msg_id yet (it matches later, when the send learns its msg_id)."""
    counts = {k: _int(raw.get(k)) for k in ("TotalCount", "FilterCount", "SentCount", "ErrorCount")}
    result = {"Status": str(raw.get("Status", "")), **counts}
    try:
        await PushJobEvent.create(account_key=account_key, msg_id=str(msg_id), result=result)
    except IntegrityError:
        pass  # WeChat's retry of the same event
    return await _match(account_key=account_key, msg_id=str(msg_id))


async def _match(*, account_key: str, msg_id: str) -> bool:
    event = await PushJobEvent.get_or_none(account_key=account_key, msg_id=msg_id)
    if event is None or not msg_id:
        return False
    ids = await PushDelivery.filter(account_key=account_key).values_list("id", flat=True)
    chunk = await PushChunk.filter(msg_id=msg_id, delivery_id__in=list(ids)).first()
    if chunk is None:
        return False
    async with in_transaction():
        chunk.result = dict(event.result)
        chunk.status, chunk.finished_at = "finished", utcnow()
        await chunk.save(update_fields=["result", "status", "finished_at"])
        await PushJobEvent.filter(id=event.id).update(matched=True)
        delivery = await PushDelivery.get(id=chunk.delivery_id)
        done = [c.result for c in await PushChunk.filter(delivery_id=delivery.id, status="finished")]
        delivery.total_count = sum(r.get("TotalCount", 0) for r in done)
        delivery.filter_count = sum(r.get("FilterCount", 0) for r in done)
        delivery.sent_count = sum(r.get("SentCount", 0) for r in done)
        delivery.error_count = sum(r.get("ErrorCount", 0) for r in done)
        await delivery.save(update_fields=["total_count", "filter_count", "sent_count", "error_count"])
        if delivery.mode == "tagged" and delivery.tag_id is not None:
            await jobs.enqueue("push.drop_tag", {"delivery_id": delivery.id}, dedupe_key=f"push.drop_tag:{delivery.id}")
    return True


async def drop_tag(delivery_id: int) -> None:
    """The tag made for one send is deleted once WeChat finished it (an account has at most 100 tags)."""
    delivery = await PushDelivery.get_or_none(id=delivery_id)
    if delivery is None or delivery.tag_id is None:
        return
    try:
        await get_client().tags_delete(delivery.account_key, delivery.tag_id)
    except InvalidRequest:  # already gone
        metrics.caught("push.drop_tag", log, "tag %s of %s already gone", delivery.tag_id, delivery.account_key,
                       level=logging.INFO)
    delivery.tag_id = None
    await delivery.save(update_fields=["tag_id"])


def _int(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


async def erase_recipients(*, accounts: list[tuple[str, str]]) -> int:
    """Remove a resident's openids from the lists kept on deliveries and chunks (erasure, 删除权)."""
    removed = 0
    for account_key, openid in accounts:
        for d in await PushDelivery.filter(account_key=account_key):
            if openid in d.members:
                d.members = [o for o in d.members if o != openid]
                await d.save(update_fields=["members"])
                removed += 1
            for c in await PushChunk.filter(delivery_id=d.id):
                if openid in c.openids:
                    c.openids = [o for o in c.openids if o != openid]
                    await c.save(update_fields=["openids"])
                    removed += 1
    return removed
