"""Messages to a resident about their booking (confirmation changes, reminders, offers): queued in the
engine's outbox inside the caller's transaction and flushed by a job, so a message is written exactly
when the change commits and WeChat's delivery rules (window, retries) stay the engine's."""

from __future__ import annotations

from app.jobs import service as jobs
from app.wechat import service as wechat_service


async def to_resident(*, account_key: str | None, openid: str | None, text: str, ref: str) -> bool:
    """Queue ``text`` for the resident's chat; False when the booking has no WeChat identity."""
    if not account_key or not openid:
        return False
    row = await wechat_service.queue_pending(account_key=account_key, openid=openid, kind="text",
                                             payload={"text": text}, ref=ref)
    await jobs.enqueue("wechat.flush_pending", {"account_key": account_key, "openid": openid},
                       dedupe_key=f"booking.flush:{row.id}")
    return True
