"""Grouped counts for figures and analytics (one query, no rows loaded)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.functions import Count


async def count_by_field(queryset: Any, field: str, *, time_field: str, codes: list[str] | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> dict[str, int]:
    """Rows of ``queryset`` counted by ``field`` (None values left out), optionally within a time range."""
    qs = queryset.filter(**{f"{field}__isnull": False})
    if codes is not None:
        qs = qs.filter(**{f"{field}__in": codes})
    if since is not None:
        qs = qs.filter(**{f"{time_field}__gte": since})
    if until is not None:
        qs = qs.filter(**{f"{time_field}__lt": until})
    rows = await qs.annotate(n=Count("id")).group_by(field).values(field, "n")
    return {r[field]: int(r["n"]) for r in rows if r[field]}
