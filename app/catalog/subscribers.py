"""What the catalog does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``consult.next_step_links_requested``: the link to the catalogue's guide (materials, time limit, where)
  of the service a consultation answer names as the next step, and a typical case of its category.
"""

from __future__ import annotations

from typing import Any

from app.catalog import service as catalog_service
from app.config import get_settings


async def service_guide(*, service: str, category: str | None = None, **_: Any) -> list[str]:
    base = get_settings().public_base_url.rstrip("/")
    out = []
    entry = await catalog_service.service_for_ref(service)
    if entry is not None:
        out.append(f"办事指南（{entry.name}：材料、时限、地点）：{base}{entry.url}")
    if category:
        for case in await catalog_service.cases_for_category(category, limit=1):
            out.append(f"典型案例：{case.title} {base}/catalog/cases/{case.slug}")
    return out
