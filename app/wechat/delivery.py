"""Answers outside the passive reply: a customer-service message when the window allows, else queued.

A queued answer (PendingDelivery) goes out with the resident's next passive reply or, once their
next interaction opens the window, as a customer-service message. Nothing is ever dropped. A caller
may name a job (``on_delivered``) to be enqueued at the moment a queued answer reaches the resident.
"""

from __future__ import annotations

import logging
from typing import Any

from app.core import metrics
from app.core.clock import utcnow
from app.jobs import service as jobs
from app.wechat import service, windows
from app.wechat.client import get_client
from app.wechat.errors import WeChatAPIError, WindowClosed
from app.wechat.models import PendingDelivery

log = logging.getLogger("fawu.wechat.delivery")


def _articles_payload(articles: list[Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for a in articles:
        if isinstance(a, dict):
            out.append({k: str(a.get(k, "")) for k in ("title", "description", "url", "image")})
        else:
            out.append({"title": a.title, "description": a.description, "url": a.url, "image": a.image})
    return out


async def _try_custom(*, account_key: str, openid: str, kind: str, payload: dict[str, Any]) -> bool:
    """Send as a customer-service message if the window and quota allow; False otherwise."""
    try:  # reserve one message of the window's quota first (atomic), give nothing back on failure
        if not await windows.consume_custom(account_key=account_key, openid=openid):
            return False
    except Exception:  # the answer waits for the next interaction instead
        metrics.caught("wechat.delivery.window", log, "window check failed for account %s", account_key)
        return False
    client = get_client()
    try:
        if kind == "text":  # the window was reserved above
            await client.send_custom_text(account_key, openid, payload["text"], enforce_window=False)
        else:
            await client.send_custom_news(account_key, openid, payload["articles"], enforce_window=False)
    except WindowClosed:
        try:
            await windows.mark_closed(account_key=account_key, openid=openid)
        except Exception:  # the window is closed anyway: the answer is queued
            metrics.caught("wechat.delivery.window", log, "could not mark the window closed for %s", account_key)
        return False
    except WeChatAPIError as exc:  # a refusal (quota, blocked): queued for the next interaction
        metrics.caught("wechat.delivery.refused", log, "custom message to account %s refused: %s", account_key,
                       getattr(exc, "errcode", exc), level=logging.WARNING)
        return False
    except Exception:  # network and the like: queue it instead
        metrics.caught("wechat.delivery.send", log, "custom message to account %s failed", account_key)
        return False
    return True


async def _deliver(*, account_key: str, openid: str, kind: str, payload: dict[str, Any],
                   inbound_id: int | None, log_text: str, role: str, on_delivered: str | None = None,
                   on_delivered_payload: dict[str, Any] | None = None) -> str:
    await service.log_outbound(account_key=account_key, openid=openid, text=log_text, role=role)
    if await _try_custom(account_key=account_key, openid=openid, kind=kind, payload=payload):
        return "sent"
    if on_delivered:
        payload = {**payload, "on_delivered": {"job": on_delivered, "payload": dict(on_delivered_payload or {})}}
    await service.queue_pending(account_key=account_key, openid=openid, kind=kind, payload=payload,
                                inbound_id=inbound_id)
    return "queued"


async def delivered(*, pending: PendingDelivery) -> None:
    """A queued answer just reached the resident (passive reply or customer-service message): enqueue
    its ``on_delivered`` job, if any, with ``delivered_at`` (ISO, UTC) added to the caller's payload."""
    hook = (pending.payload or {}).get("on_delivered")
    if not hook or not hook.get("job"):
        return
    row = await PendingDelivery.get_or_none(id=pending.id)
    at = row.delivered_at if row is not None else None
    await jobs.enqueue(str(hook["job"]), {**(hook.get("payload") or {}), "delivered_at": (at or utcnow()).isoformat()},
                       dedupe_key=f"wechat.on_delivered:{pending.id}")


async def deliver_text(*, account_key: str, openid: str, text: str, role: str = "bot",
                       inbound_id: int | None = None, on_delivered: str | None = None,
                       on_delivered_payload: dict[str, Any] | None = None) -> str:
    """"sent" as a customer-service message, else "queued" for the next interaction. When queued, the
    job ``on_delivered`` (opaque to the engine) is enqueued with ``on_delivered_payload`` once it goes out."""
    return await _deliver(account_key=account_key, openid=openid, kind="text", payload={"text": text},
                          inbound_id=inbound_id, log_text=text, role=role, on_delivered=on_delivered,
                          on_delivered_payload=on_delivered_payload)


async def deliver_news(*, account_key: str, openid: str, articles: list[Any], role: str = "bot",
                       inbound_id: int | None = None) -> str:
    """Same as deliver_text for news (articles: router.Article objects or dicts)."""
    payload = {"articles": _articles_payload(articles)[:8]}
    titles = "；".join(a["title"] for a in payload["articles"])
    return await _deliver(account_key=account_key, openid=openid, kind="news", payload=payload,
                          inbound_id=inbound_id, log_text=f"[图文] {titles}", role=role)


async def flush_pending(*, account_key: str, openid: str) -> int:
    """Send waiting answers as customer-service messages now that the window may be open."""
    sent = 0
    for p in await service.pending_for(account_key=account_key, openid=openid):
        if not await service.mark_delivered(pending_id=p.id, via="custom"):
            continue  # another process took it
        if not await _try_custom(account_key=account_key, openid=openid, kind=p.kind, payload=p.payload):
            await service.unmark_delivered(pending_id=p.id)
            break
        await delivered(pending=p)
        sent += 1
    return sent
