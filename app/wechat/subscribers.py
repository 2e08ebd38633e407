"""What the WeChat engine does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``residents.erased``: erase what the resident said and was told on their accounts.
- ``residents.export_requested``: the conversation on each of their accounts.
- ``residents.retention_due``: clear chat text older than the cutoff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.core.clock import format_local
from app.wechat import service


async def erase_messages(*, accounts: list[list[str]], **_: Any) -> dict[str, int]:
    return {"messages": await service.erase_messages(accounts=[(a, o) for a, o in accounts])}


async def export_messages(*, accounts: list[list[str]], **_: Any) -> dict[str, Any]:
    out = []
    for account_key, openid in accounts:
        msgs = await service.conversation(account_key=account_key, openid=openid, limit=1000)
        out.append({"account_key": account_key, "openid": openid, "messages": [
            {"role": m["role"], "text": m["text"], "at": format_local(m["at"])} for m in msgs]})
    return {"wechat": out}


async def purge_messages(*, before: datetime, **_: Any) -> int:
    return await service.purge_messages(before=before)
