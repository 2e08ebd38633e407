"""Jobs of the wechat engine (inbound side): late answers, long-text parts, waiting answers, user info."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from app.core.clock import utcnow
from app.jobs.service import enqueue, register
from app.residents import service as residents
from app.wechat import delivery, late, service
from app.wechat.models import InboundMessage

log = logging.getLogger("fawu.wechat.tasks")

# A message still "processing" this long after it arrived lost its process (a crash or a restart
# between persisting and answering), or still "redoing" this long after wechat.reply_later claimed it
# lost that job's run: it is handed to wechat.reply_later so it is never dropped.
STALLED_AFTER_SECONDS = 60


async def recover_stalled() -> int:
    """Hand messages whose handling process died to wechat.reply_later; returns how many."""
    cutoff = utcnow() - timedelta(seconds=STALLED_AFTER_SECONDS)
    ids = await InboundMessage.filter(status="processing", created_at__lt=cutoff).limit(100).values_list(
        "id", flat=True)
    recovered = 0
    for inbound_id in ids:
        if await service.finish_inbound(inbound_id=inbound_id, status="deferred", only_if="processing"):
            await enqueue("wechat.reply_later", {"inbound_id": inbound_id},
                          dedupe_key=f"wechat.reply_later:{inbound_id}")
            recovered += 1
    # a reply_later run that claimed a message ("redoing") and then died: hand it on again
    stale = await InboundMessage.filter(status="redoing", updated_at__lt=cutoff).limit(100).values_list(
        "id", "updated_at")
    for inbound_id, at in stale:
        if await service.finish_inbound(inbound_id=inbound_id, status="deferred", only_if="redoing"):
            await enqueue("wechat.reply_later", {"inbound_id": inbound_id},
                          dedupe_key=f"wechat.reply_later:{inbound_id}:{int(at.timestamp())}")
            recovered += 1
    if recovered:
        log.warning("recovered %d stalled wechat messages", recovered)
    return recovered


SCHEDULES: list = [("wechat.recover_stalled", 30.0, recover_stalled)]


@register("wechat.reply_later")
async def reply_later(payload: dict[str, Any]) -> None:
    """Send the answer of a message that overran the budget (re-computed if its task died)."""
    await late.reprocess(inbound_id=int(payload["inbound_id"]))


@register("wechat.send_text")
async def send_text(payload: dict[str, Any]) -> None:
    """The further parts of a long text: customer-service message or queued."""
    await delivery.deliver_text(account_key=payload["account_key"], openid=payload["openid"],
                                text=payload["text"], inbound_id=payload.get("inbound_id"))


@register("wechat.flush_pending")
async def flush_pending(payload: dict[str, Any]) -> None:
    """Answers waiting for a resident who just interacted: send them as customer-service messages."""
    await delivery.flush_pending(account_key=payload["account_key"], openid=payload["openid"])


@register("wechat.fetch_user_info")
async def fetch_user_info(payload: dict[str, Any]) -> None:
    """Ask WeChat for the follower's unionid so residents are one person across the matrix."""
    from app.wechat.client import get_client

    info = await get_client().user_info(payload["account_key"], payload["openid"])
    unionid = (info or {}).get("unionid") if isinstance(info, dict) else None
    if unionid:
        await residents.ensure_identity(account_key=payload["account_key"], openid=payload["openid"],
                                        unionid=unionid)
