"""Answers outside the passive reply: a customer-service message when the window allows, else queued.

A queued answer (PendingDelivery) goes out with the resident's next passive reply or, once their
next interaction opens the window, as a customer-service message. Every queued answer ends "sent",
"failed" (WeChat refused its content, or it kept failing) or "expired" (the resident never came
back), with a reason that service.delivery_outcome(ref=...) gives to whoever sent it. A text over
WeChat's limit goes as several messages cut between grapheme clusters. One answer that fails never
holds back the ones queued behind it. A caller may name a job (``on_delivered``) to be enqueued at
the moment a queued answer reaches the resident.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.config import get_settings
from app.core import metrics
from app.core.clock import utcnow
from app.jobs import service as jobs
from app.wechat import service, windows
from app.wechat.client import get_client
from app.wechat.errors import InvalidRequest, Unauthorized, WeChatAPIError, WindowClosed
from app.wechat.models import PendingDelivery
from app.wechat.replies import clean_text, split_text

log = logging.getLogger("fawu.wechat.delivery")

# WeChat refused the message itself (its content or form): sending it again cannot succeed.
CONTENT_REFUSED = frozenset({40007, 40008, 40097, 44003, 44004, 45002, 45008, 47001})
# WeChat will not reach this resident by customer-service message now (window, follow status, account):
# the answer waits for the resident's next interaction.
NOT_NOW = frozenset({40003, 43004, 45015, 45047, 48001})
MAX_ATTEMPTS = 5  # customer-service sends that failed for a passing reason (busy, timeout) before "failed"


@dataclass(frozen=True)
class Attempt:
    """How one customer-service send went: ``sent``; else ``fate`` says what becomes of the answer
    ("wait" for the next interaction, "retry" later, "fail" for good) and ``reason`` why."""

    sent: bool
    fate: str = "wait"
    reason: str | None = None


def _articles_payload(articles: list[Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for a in articles:
        if isinstance(a, dict):
            out.append({k: str(a.get(k, "")) for k in ("title", "description", "url", "image")})
        else:
            out.append({"title": a.title, "description": a.description, "url": a.url, "image": a.image})
    return out


def _refusal(exc: WeChatAPIError) -> Attempt:
    text = f"微信拒收（{exc.errcode} {exc.errmsg.split(' rid:')[0]}）"[:200]
    if exc.errcode in CONTENT_REFUSED:
        return Attempt(False, "fail", text)
    if exc.errcode in NOT_NOW or isinstance(exc, (WindowClosed, Unauthorized)):
        return Attempt(False, "wait", text)
    if isinstance(exc, InvalidRequest):
        return Attempt(False, "fail", text)
    return Attempt(False, "retry", text)


async def _try_custom(*, account_key: str, openid: str, kind: str, payload: dict[str, Any]) -> Attempt:
    """Send as a customer-service message if the window and quota allow."""
    try:  # reserve one message of the window's quota first (atomic), give nothing back on failure
        if not await windows.consume_custom(account_key=account_key, openid=openid):
            return Attempt(False, "wait", "客服消息窗口未开放，等待居民下次互动")
    except Exception:  # the answer waits and is tried again
        metrics.caught("wechat.delivery.window", log, "window check failed for account %s", account_key)
        return Attempt(False, "retry", "客服消息窗口检查失败")
    client = get_client()
    try:
        if kind == "text":  # the window was reserved above
            await client.send_custom_text(account_key, openid, payload["text"], enforce_window=False)
        else:
            await client.send_custom_news(account_key, openid, payload["articles"], enforce_window=False)
    except WeChatAPIError as exc:
        attempt = _refusal(exc)
        if isinstance(exc, WindowClosed):
            try:
                await windows.mark_closed(account_key=account_key, openid=openid)
            except Exception:  # the window is closed anyway: the answer waits
                metrics.caught("wechat.delivery.window", log, "could not mark the window closed for %s", account_key)
        metrics.caught("wechat.delivery.refused", log, "custom message to account %s not sent: [%s] %s",
                       account_key, exc.errcode, attempt.fate, level=logging.WARNING)
        return attempt
    except Exception as exc:  # network and the like: it waits and is tried again
        metrics.caught("wechat.delivery.send", log, "custom message to account %s failed", account_key)
        return Attempt(False, "retry", f"发送出错（{type(exc).__name__}）")
    return Attempt(True)


async def _deliver(*, account_key: str, openid: str, kind: str, payloads: list[dict[str, Any]],
                   inbound_id: int | None, log_text: str, role: str, on_delivered: str | None = None,
                   on_delivered_payload: dict[str, Any] | None = None, ref: str | None = None) -> str:
    """Send the parts in order while WeChat takes them; queue the first one it does not take and
    everything after it. "sent" when the first part went out at once, else "queued"."""
    await service.log_outbound(account_key=account_key, openid=openid, text=log_text, role=role)
    first_sent = False
    for i, payload in enumerate(payloads):
        attempt = await _try_custom(account_key=account_key, openid=openid, kind=kind, payload=payload)
        if attempt.sent:
            first_sent = first_sent or i == 0
            if ref:
                await service.record_sent(account_key=account_key, openid=openid, kind=kind, payload=payload,
                                          inbound_id=inbound_id, ref=ref)
            continue
        for j, rest in enumerate(payloads[i:]):
            if on_delivered and not first_sent and j == 0:
                rest = {**rest, "on_delivered": {"job": on_delivered, "payload": dict(on_delivered_payload or {})}}
            row = await service.queue_pending(account_key=account_key, openid=openid, kind=kind, payload=rest,
                                              inbound_id=inbound_id, ref=ref)
            if j == 0 and attempt.fate == "fail":  # WeChat refused this content: it ends here, with why
                await service.mark_delivered(pending_id=row.id, via="custom")
                await service.finish_claim(pending_id=row.id, status="failed", reason=attempt.reason)
        break
    return "sent" if first_sent else "queued"


async def delivered(*, pending: PendingDelivery) -> None:
    """A queued answer just reached the resident (passive reply or customer-service message): enqueue
    its ``on_delivered`` job, if any, with ``delivered_at`` (ISO, UTC) added to the caller's payload."""
    hook = (pending.payload or {}).get("on_delivered")
    if not hook or not hook.get("job"):
        return
    at = await PendingDelivery.filter(id=pending.id).first().values_list("delivered_at", flat=True)
    when = at if isinstance(at, datetime) else utcnow()
    await jobs.enqueue(str(hook["job"]), {**(hook.get("payload") or {}), "delivered_at": when.isoformat()},
                       dedupe_key=f"wechat.on_delivered:{pending.id}")


async def deliver_text(*, account_key: str, openid: str, text: str, role: str = "bot",
                       inbound_id: int | None = None, on_delivered: str | None = None,
                       on_delivered_payload: dict[str, Any] | None = None, ref: str | None = None) -> str:
    """"sent" as a customer-service message, else "queued" for the next interaction. A text over WeChat's
    limit (settings.wechat_max_text_bytes) goes as several messages. When queued, the job
    ``on_delivered`` (opaque to the engine) is enqueued with ``on_delivered_payload`` once it goes out.
    With ``ref``, service.delivery_outcome(ref=ref) tells later how it ended (sent, failed, expired)."""
    text = clean_text(text)
    return await deliver_parts(account_key=account_key, openid=openid, log_text=text, role=role,
                               parts=split_text(text, get_settings().wechat_max_text_bytes), inbound_id=inbound_id,
                               on_delivered=on_delivered, on_delivered_payload=on_delivered_payload, ref=ref)


async def deliver_parts(*, account_key: str, openid: str, parts: list[str], log_text: str | None = None,
                        role: str = "bot", inbound_id: int | None = None, on_delivered: str | None = None,
                        on_delivered_payload: dict[str, Any] | None = None, ref: str | None = None) -> str:
    """deliver_text for a text already cut into parts (each within WeChat's limit), sent in order."""
    return await _deliver(account_key=account_key, openid=openid, kind="text",
                          payloads=[{"text": clean_text(p)} for p in parts], inbound_id=inbound_id,
                          log_text=log_text if log_text is not None else "".join(parts), role=role,
                          on_delivered=on_delivered, on_delivered_payload=on_delivered_payload, ref=ref)


async def deliver_news(*, account_key: str, openid: str, articles: list[Any], role: str = "bot",
                       inbound_id: int | None = None, ref: str | None = None) -> str:
    """Same as deliver_text for news (articles: router.Article objects or dicts)."""
    payload = {"articles": _articles_payload(articles)[:8]}
    titles = "；".join(a["title"] for a in payload["articles"])
    return await _deliver(account_key=account_key, openid=openid, kind="news", payloads=[payload],
                          inbound_id=inbound_id, log_text=f"[图文] {titles}", role=role, ref=ref)


async def flush_pending(*, account_key: str, openid: str) -> int:
    """Send waiting answers as customer-service messages now that the window may be open. An answer
    WeChat refuses for its content ends "failed" and the next one goes; when the resident cannot be
    reached now (window, follow status) or WeChat fails for a passing reason, the rest wait."""
    sent = 0
    for p in await service.pending_for(account_key=account_key, openid=openid):
        if not await service.mark_delivered(pending_id=p.id, via="custom"):
            continue  # another process took it
        attempt = await _try_custom(account_key=account_key, openid=openid, kind=p.kind, payload=p.payload)
        if attempt.sent:
            await service.finish_claim(pending_id=p.id, status="sent")
            await delivered(pending=p)
            sent += 1
        elif attempt.fate == "fail" or (attempt.fate == "retry" and p.attempts + 1 >= MAX_ATTEMPTS):
            await service.finish_claim(pending_id=p.id, status="failed", reason=attempt.reason)
        else:
            await service.unmark_delivered(pending_id=p.id, reason=attempt.reason,
                                           count_attempt=attempt.fate == "retry")
            break
    return sent


async def recover_claims(*, older_than: datetime) -> int:
    """Claims whose process died while sending wait again, and a flush is scheduled for them."""
    n = 0
    for p in await service.stale_claims(older_than=older_than):
        await service.unmark_delivered(pending_id=p.id)
        await jobs.enqueue("wechat.flush_pending", {"account_key": p.account_key, "openid": p.openid},
                           dedupe_key=f"wechat.flush_pending:{p.id}:{int(p.delivered_at.timestamp())}"
                           if p.delivered_at else None)
        n += 1
    return n


async def expire_pending() -> int:
    """Answers that waited longer than settings.wechat_pending_expire_days end "expired"."""
    days = get_settings().wechat_pending_expire_days
    return await service.expire_pending(older_than=utcnow() - timedelta(days=days),
                                        reason=f"居民 {days} 天内未再与公众号互动，未能送达")
