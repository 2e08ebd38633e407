"""Jobs of the wechat engine (inbound side): late answers, long-text parts, waiting answers, user info."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from app.config import get_settings
from app.core.clock import utcnow
from app.jobs.service import enqueue, register
from app.residents import service as residents
from app.wechat import delivery, late, service
from app.wechat.client import get_client
from app.wechat.errors import InvalidRequest
from app.wechat.models import InboundMessage

log = logging.getLogger("fawu.wechat.tasks")

# Every intermediate state of an inbound message is recovered when it has stood still too long
# (settings.wechat_stalled_after): its process died (a crash, SIGKILL, a restart) in between.
#   processing  stored, never answered             → deferred, wechat.reply_later recomputes it
#   redoing     reply_later claimed it, then died  → deferred, again
#   deferred    its reply_later job was lost       → a new reply_later job (a second one is harmless:
#               each run claims the message with a compare-and-set)
#   answered    the answer is stored, not sent     → reply_later delivers it
#   delivering  the process died while sending     → answered again, then delivered (at least once:
#               a send that reached WeChat just before the crash goes out a second time)
_RECOVER: list[tuple[str, str | None]] = [("processing", "deferred"), ("redoing", "deferred"),
                                          ("deferred", None), ("answered", None), ("delivering", "answered")]


async def recover_stalled() -> int:
    """Hand messages whose handling process died to wechat.reply_later; returns how many."""
    cutoff = utcnow() - timedelta(seconds=get_settings().wechat_stalled_after)
    recovered = 0
    for status, back_to in _RECOVER:
        field = "created_at" if status == "processing" else "updated_at"
        rows = await InboundMessage.filter(status=status, **{f"{field}__lt": cutoff}).order_by("id").limit(
            200).values_list("id", "updated_at")
        for inbound_id, at in rows:
            if back_to is not None and not await service.finish_inbound(
                    inbound_id=inbound_id, status=back_to, only_if=status):
                continue  # it moved on meanwhile
            await enqueue("wechat.reply_later", {"inbound_id": inbound_id},
                          dedupe_key=f"wechat.reply_later:{inbound_id}:{status}:{int(at.timestamp())}")
            recovered += 1
    recovered += await delivery.recover_claims(older_than=cutoff)
    if recovered:
        log.warning("recovered %d stalled wechat messages", recovered)
    return recovered


async def expire_pending() -> None:
    await delivery.expire_pending()


def _recover_every() -> float:
    """Look for stalled messages twice per stall time (at most every 30 s)."""
    return min(30.0, get_settings().wechat_stalled_after / 2)


SCHEDULES: list = [("wechat.recover_stalled", _recover_every, recover_stalled),
                   ("wechat.expire_pending", 3600.0, expire_pending)]


@register("wechat.reply_later")
async def reply_later(payload: dict[str, Any]) -> None:
    """Send the answer of a message that overran the budget (re-computed if its task died)."""
    await late.reprocess(inbound_id=int(payload["inbound_id"]))


@register("wechat.send_text")
async def send_text(payload: dict[str, Any]) -> None:
    """The further parts of a long text, in order: customer-service messages or queued."""
    texts = payload.get("texts") or [payload["text"]]
    await delivery.deliver_parts(account_key=payload["account_key"], openid=payload["openid"], parts=list(texts),
                                 inbound_id=payload.get("inbound_id"))


@register("wechat.flush_pending")
async def flush_pending(payload: dict[str, Any]) -> None:
    """Answers waiting for a resident who just interacted: send them as customer-service messages."""
    await delivery.flush_pending(account_key=payload["account_key"], openid=payload["openid"])


@register("wechat.fetch_user_info")
async def fetch_user_info(payload: dict[str, Any]) -> None:
    """Ask WeChat for the follower's unionid so residents are one person across the matrix."""
    try:
        info = await get_client().user_info(payload["account_key"], payload["openid"])
    except InvalidRequest as exc:
        if exc.errcode != 40003:
            raise
        # WeChat does not know this openid as a follower (gone again, or a test resident): nothing to learn
        log.info("no user info for a follower of %s: [%s]", payload["account_key"], exc.errcode)
        return
    unionid = (info or {}).get("unionid") if isinstance(info, dict) else None
    if unionid:
        await residents.ensure_identity(account_key=payload["account_key"], openid=payload["openid"],
                                        unionid=unionid)
