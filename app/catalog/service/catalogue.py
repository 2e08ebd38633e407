"""The service catalogue (基本项目清单): listing, search, and what other domains read by their own codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.catalog.content import time_limit_zh
from app.catalog.models import CatalogService
from app.catalog.service.errors import ServiceNotFound


@dataclass(frozen=True)
class ServiceInfo:
    """What another domain (cases, booking, surveys, boards, consult) reads of a catalogue entry."""

    code: str
    name: str
    group: str
    time_limit: str  # "7d", "15wd", "1m", ""
    time_limit_zh: str  # "7日", "15个工作日"
    commitment: str
    cost: str
    url: str  # the public page, relative (/catalog/services/<code>)
    version: int = 1

    @property
    def ref(self) -> str:
        """The version another domain keeps on its rows (``legal_aid_civil@v3``)."""
        return f"{self.code}@v{self.version}"


def info(row: CatalogService) -> ServiceInfo:
    return ServiceInfo(code=row.code, name=row.name, group=row.group, time_limit=row.time_limit,
                       time_limit_zh=time_limit_zh(row.time_limit), commitment=row.data.get("commitment", ""),
                       cost=row.data.get("cost", ""), url=f"/catalog/services/{row.code}", version=row.version)


def search_text(record: dict[str, Any]) -> str:
    d = record["data"]
    parts = [record["name"], record["group"], d.get("summary", ""), d.get("who", ""), " ".join(d.get("keywords", [])),
             " ".join(d.get("materials", [])), " ".join(c["law"] for c in d.get("basis", []))]
    return " ".join(parts).lower()


def _terms(q: str) -> list[str]:
    return [t for t in q.lower().replace("，", " ").replace(",", " ").split() if t][:6]


async def list_services(*, q: str = "", group: str = "") -> list[CatalogService]:
    """The active services in catalogue order, filtered by group and by every word of ``q``."""
    qs = CatalogService.filter(active=True)
    if group:
        qs = qs.filter(group=group)
    for term in _terms(q):
        qs = qs.filter(search_text__contains=term)
    return await qs.order_by("position", "code")


async def groups() -> list[str]:
    rows = await CatalogService.filter(active=True).order_by("position").values_list("group", flat=True)
    return list(dict.fromkeys(str(g) for g in rows))


async def get_service(code: str) -> CatalogService:
    row = await CatalogService.get_or_none(code=code, active=True)
    if row is None:
        raise ServiceNotFound()
    return row


async def service_info(code: str) -> ServiceInfo:
    """One entry by its catalogue code (raises ServiceNotFound)."""
    return info(await get_service(code))


async def service_for_ref(ref: str) -> ServiceInfo | None:
    """The entry another domain means by its own code (a case type, a KB next step, a booking service)."""
    for row in await CatalogService.filter(active=True).order_by("position"):
        if ref == row.code or ref in (row.refs or []):
            return info(row)
    return None


async def services_for_refs(refs: list[str]) -> dict[str, ServiceInfo]:
    """The entries other domains mean by their codes (``booking:consult``, ``legal_aid``), in one read:
    ref → entry, refs without an entry left out."""
    wanted = set(refs)
    out: dict[str, ServiceInfo] = {}
    if not wanted:
        return out
    for row in await CatalogService.filter(active=True).order_by("position"):
        for ref in [row.code, *(row.refs or [])]:
            if ref in wanted and ref not in out:
                out[ref] = info(row)
    return out


async def known_refs() -> set[str]:
    out: set[str] = set()
    for row in await CatalogService.filter(active=True):
        out.add(row.code)
        out.update(row.refs or [])
    return out


async def related_services(words: list[str], *, limit: int = 3) -> list[CatalogService]:
    """Services whose name or keywords hold one of ``words`` (a case's tags → where to go)."""
    out = []
    for row in await CatalogService.filter(active=True).order_by("position"):
        names = [row.name, *row.data.get("keywords", [])]
        if any(w and any(w in n or n in w for n in names) for w in words):
            out.append(row)
    return out[:limit]
