"""What the push domain does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``residents.erased``: the resident's openids leave the recipient lists kept on sends (the counts stay).
"""

from __future__ import annotations

from typing import Any

from app.push import service


async def erase_recipients(*, accounts: list[list[str]], **_: Any) -> dict[str, int]:
    return {"push_recipients": await service.erase_recipients(accounts=[(a, o) for a, o in accounts])}
