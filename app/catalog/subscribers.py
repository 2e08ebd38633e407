"""What the catalog does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``consult.next_step_links_requested``: the link to the catalogue's guide (materials, time limit, where)
  of the service a consultation answer names as the next step.
"""

from __future__ import annotations

from typing import Any

from app.catalog import service as catalog_service
from app.config import get_settings


async def service_guide(*, service: str, **_: Any) -> list[str]:
    entry = await catalog_service.service_for_ref(service)
    if entry is None:
        return []
    base = get_settings().public_base_url.rstrip("/")
    return [f"办事指南（{entry.name}：材料、时限、地点）：{base}{entry.url}"]
