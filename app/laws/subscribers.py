"""What the statute corpus answers when another domain asks: whether a free-text legal basis cites
articles of law in force (``booking.basis_check_requested``: booking's services edited in the console)."""

from __future__ import annotations

from typing import Any

from app.laws import service


async def unresolved_citations(*, text: str, **_: Any) -> list[str]:
    return await service.unresolved_citations(text)
