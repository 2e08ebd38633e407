"""Jobs of the push domain: deliver one account's part of a send; drop a send's tag once WeChat finished."""

from __future__ import annotations

from typing import Any

from app.jobs.service import register
from app.push import service


@register("push.deliver")
async def deliver(payload: dict[str, Any]) -> None:
    await service.deliver(int(payload["delivery_id"]))


@register("push.drop_tag")
async def drop_tag(payload: dict[str, Any]) -> None:
    await service.drop_tag(int(payload["delivery_id"]))

