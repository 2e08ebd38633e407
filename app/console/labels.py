"""Chinese labels the console shows for case codes (status, type, category, due state, org units).

The cases and consult domains own these tables (offered by their services); they are read here in one
place so the console's filters and charts use exactly the same words as the domains' own pages.
"""

from __future__ import annotations

from app.cases import service as cases_service
from app.consult import service as consult_service
from app.org import service as org_service


def status_labels() -> dict[str, str]:
    return cases_service.status_labels()


def type_labels() -> dict[str, str]:
    return cases_service.type_labels()


def category_labels() -> dict[str, str]:
    return consult_service.category_labels()


async def unit_names() -> dict[str, str]:
    return {code: info.name for code, info in (await org_service.tree()).items()}


async def townships() -> list[tuple[str, str]]:
    tree = await org_service.tree()
    return sorted(((c, u.name) for c, u in tree.items() if u.kind == "township"), key=lambda t: t[0])
