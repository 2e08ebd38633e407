"""The console's editing of the catalogue (district administrators) and of the directory (district
administrators; township staff their own township's providers): create, edit, unpublish. Every change
is audited; a service's change makes a new version (cases opened under the old one keep it)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from typing import Any

from tortoise.transactions import in_transaction

from app.catalog.content import (
    PROVIDER_OPTIONAL,
    PROVIDER_REQUIRED,
    parse_providers,
    service_record,
)
from app.catalog.models import CatalogService, Provider
from app.catalog.service import catalogue, directory
from app.catalog.service.errors import BadService, ProviderNotFound, ServiceNotFound
from app.catalog.service.versions import record_version
from app.core.actor import Actor, Role
from app.staff import service as staff_service

LAW_LINE = re.compile(r"^\s*《?([^》\s]+?)》?\s*(第[零一二三四五六七八九十百千\d]+条(?:之[一二三四五六七八九十]+)?)\s*$")


def _lines(v: str) -> list[str]:
    return [x.strip() for x in v.splitlines() if x.strip()]


def _words(v: str) -> list[str]:
    return [x for x in re.split(r"[\s,，、;；]+", v) if x]


@dataclass
class ServiceInput:
    """What the console's service form sends (lists one per line; refs, providers, keywords by spaces)."""

    code: str = ""
    name: str = ""
    group: str = ""
    summary: str = ""
    who: str = ""
    where: str = ""
    commitment: str = ""
    time_limit: str = ""
    result: str = ""
    cost: str = ""
    funding: str = ""
    materials: str = ""
    basis: str = ""  # one per line: 法律援助法 第四十三条
    policy: str = ""
    providers: str = ""
    refs: str = ""
    keywords: str = ""

    def parse(self, *, position: int) -> dict[str, Any]:
        errors: list[str] = []
        basis = []
        for i, line in enumerate(_lines(self.basis), start=1):
            m = LAW_LINE.match(line)
            if not m:
                errors.append(f"法律依据第{i}行格式不对，应为“法律援助法 第四十三条”：{line}")
            else:
                basis.append({"law": m.group(1), "article": m.group(2)})
        raw: dict[str, Any] = {k: v.strip() for k, v in asdict(self).items()}
        raw.update(where=_lines(self.where), materials=_lines(self.materials), basis=basis,
                   providers=_words(self.providers), refs=_words(self.refs), keywords=_words(self.keywords))
        record = service_record(raw, where="服务事项", position=position, errors=errors)
        if record is None or errors:
            raise BadService("；".join(e.removeprefix("服务事项: ") for e in errors), errors=errors)
        return record


def service_input(row: CatalogService) -> ServiceInput:
    d = row.data
    return ServiceInput(
        code=row.code, name=row.name, group=row.group, time_limit=row.time_limit,
        **{k: str(d.get(k, "")) for k in ("summary", "who", "commitment", "result", "cost", "funding", "policy")},
        where="\n".join(d.get("where", [])), materials="\n".join(d.get("materials", [])),
        basis="\n".join(f"{c['law']} {c['article']}" for c in d.get("basis", [])),
        providers=" ".join(d.get("providers", [])), refs=" ".join(row.refs or []),
        keywords=" ".join(d.get("keywords", [])))


def _may_edit_services(actor: Actor) -> None:
    if actor.role != Role.DISTRICT_ADMIN or actor.read_only:
        raise BadService("服务清单只能由区管理员修改。", status=403)


async def _refs_taken(refs: list[str], *, code: str) -> None:
    for other in await CatalogService.filter(active=True).exclude(code=code):
        clash = set(refs) & set(other.refs or [])
        if clash:
            raise BadService(f"关联编码 {'、'.join(sorted(clash))} 已被“{other.name}”使用，一个编码只能属于一个事项。")


async def list_all_services() -> list[CatalogService]:
    """Every service, published or not, in catalogue order (the console's list)."""
    return list(await CatalogService.all().order_by("-active", "position", "code"))


async def get_any_service(code: str) -> CatalogService:
    row = await CatalogService.get_or_none(code=code)
    if row is None:
        raise ServiceNotFound()
    return row


async def create_service(*, actor: Actor, data: ServiceInput) -> CatalogService:
    _may_edit_services(actor)
    last = await CatalogService.all().order_by("-position").first()
    fields_ = data.parse(position=(last.position + 1) if last else 0)
    async with in_transaction():
        if await CatalogService.exists(code=fields_["code"]):
            raise BadService(f"编码 {fields_['code']} 已被使用（停用的事项也占用编码）。")
        await _refs_taken(fields_["refs"], code=fields_["code"])
        row = await CatalogService.create(**fields_, search_text=catalogue.search_text(fields_), active=True)
        await record_version(row, by=actor.name, reason="新增")
        await staff_service.audit(actor=actor, action="catalog.service_created", target_type="catalog_service",
                                  target_id=row.code, detail={"version": row.version, "name": row.name})
    return row


async def update_service(*, actor: Actor, code: str, data: ServiceInput, reason: str = "") -> CatalogService:
    """Edit a service: a new version when anything changed; opened cases keep theirs."""
    _may_edit_services(actor)
    row = await get_any_service(code)
    fields_ = data.parse(position=row.position)
    fields_["code"] = row.code  # the code never changes (it is in other domains' rows and in links)
    async with in_transaction():
        await _refs_taken(fields_["refs"], code=row.code)
        before = {"version": row.version, "name": row.name, "time_limit": row.time_limit}
        for k, v in fields_.items():
            setattr(row, k, v)
        row.search_text = catalogue.search_text(fields_)
        await row.save()
        if await record_version(row, by=actor.name, reason=reason.strip() or "修改"):
            await staff_service.audit(actor=actor, action="catalog.service_changed", target_type="catalog_service",
                                      target_id=row.code, detail={"before": before, "version": row.version,
                                                                  "name": row.name, "time_limit": row.time_limit,
                                                                  "reason": reason.strip()[:200]})
    return row


async def set_service_published(*, actor: Actor, code: str, published: bool, reason: str = "") -> CatalogService:
    """Unpublish (停用: off the public pages, other domains fall back to their own) or publish again."""
    _may_edit_services(actor)
    if not published and not reason.strip():
        raise BadService("请写明停用的原因。")
    async with in_transaction():
        row = await get_any_service(code)
        if row.active == published:
            return row
        if published:
            await _refs_taken(row.refs or [], code=row.code)
        row.active = published
        await row.save(update_fields=["active", "updated_at"])
        await record_version(row, by=actor.name, reason=reason.strip() or ("重新发布" if published else "停用"))
        await staff_service.audit(actor=actor, action="catalog.service_published" if published
                                  else "catalog.service_unpublished", target_type="catalog_service",
                                  target_id=row.code, detail={"version": row.version, "reason": reason.strip()[:200]})
    return row


# ---- providers ----

@dataclass
class ProviderInput:
    """What the console's provider form sends (townships, specialities, dialects separated by ; or 、)."""

    code: str = ""
    kind: str = ""
    name: str = ""
    parent_code: str = ""
    townships: str = ""
    specialities: str = ""
    duty_hours: str = ""
    dialects: str = ""
    phone: str = ""
    address: str = ""
    licence_no: str = ""
    advisor_code: str = ""
    intro: str = ""


def provider_input(p: Provider) -> ProviderInput:
    return ProviderInput(code=p.code, kind=p.kind, name=p.name, parent_code=p.parent_code,
                         townships="；".join(p.townships), specialities="；".join(p.specialities),
                         duty_hours=p.duty_hours, dialects="；".join(p.dialects), phone=p.phone, address=p.address,
                         licence_no=p.licence_no, advisor_code=p.advisor_code, intro=p.intro)


def _csv_row(values: dict[str, str]) -> list[str]:
    return [values.get(k, "") for k in [*PROVIDER_REQUIRED, *PROVIDER_OPTIONAL]]


async def _parse_provider(data: ProviderInput, townships: set[str]) -> dict[str, Any]:
    """The form checked by the directory file's own rules (its parent read from the database)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([*PROVIDER_REQUIRED, *PROVIDER_OPTIONAL])
    values = {k: str(v).strip().replace("；", ";").replace("、", ";") if k in ("townships", "specialities", "dialects")
              else str(v).strip() for k, v in asdict(data).items()}
    values["active"] = "是"
    parent = await Provider.get_or_none(code=values["parent_code"]) if values["parent_code"] else None
    if parent is not None:
        w.writerow(_csv_row({"code": parent.code, "kind": parent.kind, "name": parent.name,
                             "townships": ";".join(parent.townships) or next(iter(townships), ""), "active": "是"}))
    w.writerow(_csv_row(values))
    errors: list[str] = []
    rows = parse_providers("表单", out.getvalue(), townships, errors)
    mine = [e.split(": ", 1)[-1] for e in errors if e.startswith(f"表单 第{3 if parent else 2}行")]
    if parent is None and values["parent_code"]:
        mine = [e.replace("不在本文件中", "不在服务机构名录中") for e in mine]
    if mine or not rows:
        raise BadService("；".join(mine) or "请填写完整。", errors=mine)
    record = rows[-1]
    record.pop("active", None)
    return record


def _may_edit_provider(actor: Actor, townships: list[str]) -> None:
    if actor.read_only or actor.role not in (Role.DISTRICT_ADMIN, Role.TOWNSHIP_STAFF):
        raise BadService("服务机构名录只能由区管理员或镇街工作人员修改。", status=403)
    if not actor.scope.all_units and not all(actor.scope.allows(t) for t in townships):
        raise BadService("只能编辑服务本镇街的机构和人员（所服务的镇街须都在本人的管辖范围内）。", status=403)


async def console_providers(*, actor: Actor, q: str = "") -> list[Provider]:
    """The providers a staff member may edit (all for the district), published or not."""
    rows = await Provider.all().order_by("-active", "kind", "code")
    words = [w for w in q.lower().split() if w][:5]
    out = []
    for p in rows:
        if not actor.scope.all_units and not (p.townships and all(actor.scope.allows(t) for t in p.townships)):
            continue
        if any(w not in p.search_text and w not in p.name.lower() and w not in p.code.lower() for w in words):
            continue
        out.append(p)
    return out


async def get_provider_for(actor: Actor, code: str) -> Provider:
    """A provider the staff member may edit (another township's is not found)."""
    p = await Provider.get_or_none(code=code)
    if p is None or (not actor.scope.all_units and not all(actor.scope.allows(t) for t in p.townships)):
        raise ProviderNotFound()
    return p


async def create_provider(*, actor: Actor, data: ProviderInput, townships: set[str]) -> Provider:
    fields_ = await _parse_provider(data, townships)
    _may_edit_provider(actor, fields_["townships"])
    async with in_transaction():
        if await Provider.exists(code=fields_["code"]):
            raise BadService(f"编码 {fields_['code']} 已被使用（停用的机构人员也占用编码）。")
        p = await Provider.create(**fields_, search_text=directory.search_text(fields_), active=True)
        await staff_service.audit(actor=actor, action="catalog.provider_created", target_type="catalog_provider",
                                  target_id=p.code, detail={"name": p.name, "kind": p.kind, "townships": p.townships})
    return p


async def update_provider(*, actor: Actor, code: str, data: ProviderInput, townships: set[str]) -> Provider:
    p = await get_provider_for(actor, code)
    data.code = p.code  # the code never changes (links, records and advisors point at it)
    fields_ = await _parse_provider(data, townships)
    _may_edit_provider(actor, fields_["townships"])
    async with in_transaction():
        before = {k: getattr(p, k) for k in fields_ if getattr(p, k) != fields_[k]}
        for k, v in fields_.items():
            setattr(p, k, v)
        p.search_text = directory.search_text(fields_)
        await p.save()
        if before:
            await staff_service.audit(actor=actor, action="catalog.provider_changed", target_type="catalog_provider",
                                      target_id=p.code, detail={"before": before})
    return p


async def set_provider_published(*, actor: Actor, code: str, published: bool, reason: str = "") -> Provider:
    p = await get_provider_for(actor, code)
    _may_edit_provider(actor, p.townships)
    if not published and not reason.strip():
        raise BadService("请写明停用的原因（如调离、注销执业证）。")
    if p.active == published:
        return p
    async with in_transaction():
        p.active = published
        await p.save(update_fields=["active", "updated_at"])
        await staff_service.audit(actor=actor, action="catalog.provider_published" if published
                                  else "catalog.provider_unpublished", target_type="catalog_provider",
                                  target_id=p.code, detail={"reason": reason.strip()[:200]})
    return p

