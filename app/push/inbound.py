"""What the push domain hears on WeChat: MASSSENDJOBFINISH, stored against the send it finished."""

from __future__ import annotations

from app.push import service
from app.wechat.router import Inbound, Reply, router


@router.on_event("masssendjobfinish")
async def on_mass_job_finished(inbound: Inbound) -> Reply | None:
    """The counts go onto the push chunk and delivery; declines so the engine's own record still runs."""
    raw = inbound.raw
    msg_id = str(raw.get("MsgID") or raw.get("MsgId") or "")
    if msg_id:
        await service.record_job_finished(account_key=inbound.account_key, msg_id=msg_id, raw=dict(raw))
    return None
