"""Versions of the catalogue's services (版本): every change of what a resident reads makes a new version;
what cases, bookings and surveys opened under an older one keep (``code@vN``) is never rewritten."""

from __future__ import annotations

from typing import Any

from app.catalog.models import CatalogService, CatalogServiceVersion

CONTENT_FIELDS = ("name", "group", "time_limit", "data", "refs", "active")


def _content(obj: CatalogService | CatalogServiceVersion) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in CONTENT_FIELDS}


async def record_version(row: CatalogService, *, by: str, reason: str = "") -> bool:
    """Keep ``row`` as a new version when it differs from its latest one (in the caller's transaction);
    the row's ``version`` follows. False when nothing a resident reads changed."""
    latest = await CatalogServiceVersion.filter(service_code=row.code).order_by("-version").first()
    if latest is not None and _content(latest) == _content(row):
        return False
    version = latest.version + 1 if latest is not None else max(row.version, 1)
    if row.version != version:
        row.version = version
        await row.save(update_fields=["version", "updated_at"])
    await CatalogServiceVersion.create(service_code=row.code, version=version, changed_by=by[:32],
                                       reason=reason[:200], **_content(row))
    return True


async def record_all(*, by: str, reason: str = "") -> int:
    """A version for every service that changed (after an import); how many."""
    n = 0
    for row in await CatalogService.all().order_by("position", "code"):
        n += await record_version(row, by=by, reason=reason)
    return n


async def history(code: str) -> list[CatalogServiceVersion]:
    """Every version of a service, newest first (the console's history)."""
    return list(await CatalogServiceVersion.filter(service_code=code).order_by("-version"))


async def get_version(ref: str) -> CatalogServiceVersion | None:
    """The version a row of another domain refers to (``legal_aid_civil@v3``); None when unknown."""
    code, _, v = ref.partition("@v")
    if not code or not v.isdigit():
        return None
    return await CatalogServiceVersion.get_or_none(service_code=code, version=int(v))
