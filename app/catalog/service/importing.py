"""``fawu catalog import``: content/catalog/ into the database, all or nothing; and ``fawu catalog check``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from app.catalog.content import Parsed, parse_folder, parse_record_types
from app.catalog.models import CaseStudy, CatalogService, PracticeRecord, Provider
from app.catalog.service import catalogue, directory, library, versions
from app.catalog.service.errors import CatalogImportError
from app.config import get_settings
from app.consult import service as consult_service
from app.core import events
from app.core.actor import SYSTEM
from app.core.clock import utcnow
from app.errors import FawuError
from app.laws import service as laws_service
from app.org import service as org_service
from app.staff import service as staff_service

_record_types: dict[str, dict[str, Any]] | None = None


def folder() -> Path:
    return get_settings().content_dir / "catalog"


async def record_types() -> dict[str, dict[str, Any]]:
    """The record types and their display periods (content/catalog/record_types.toml), read once."""
    global _record_types
    if _record_types is None:
        errors: list[str] = []
        path = folder() / "record_types.toml"
        _record_types = await asyncio.to_thread(parse_record_types, path, errors) if path.is_file() else {}
    return _record_types


@dataclass
class ImportReport:
    """What an import found and did."""

    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (created, updated)

    def summary_zh(self) -> str:
        zh = {"services": "服务事项", "providers": "服务机构和人员", "records": "执业信息记录", "cases": "典型案例"}
        return "；".join(f"{zh[k]} 新增 {c}，更新 {u}" for k, (c, u) in self.counts.items())


async def validate(path: Path) -> Parsed:
    """Parse and validate the folder, the anonymisation check of every case included."""
    townships = {u.code for u in await org_service.list_units(org_service.TOWNSHIP)}
    parsed = await asyncio.to_thread(parse_folder, path, townships=townships,
                                     categories=consult_service.category_labels())
    for case in parsed.cases:
        for problem in await library.anonymity_problems(case):
            parsed.errors.append(f"{case['source']}: {problem}")
    return parsed


async def import_folder(path: Path | None = None, *, dry_run: bool = False) -> ImportReport:
    """Validate everything, then write it in one transaction. Services and providers missing from the
    files are deactivated; cases written in the console are left alone."""
    global _record_types
    parsed = await validate(path or folder())
    if parsed.errors:
        raise CatalogImportError("服务清单数据有误，未导入任何内容：\n" + "\n".join(parsed.errors), errors=parsed.errors)
    report = ImportReport()
    if dry_run:
        return report
    async with in_transaction():
        report.counts["services"] = await _upsert_all(
            CatalogService, "code", [{**s, "search_text": catalogue.search_text(s), "active": True}
                                     for s in parsed.services], deactivate=True)
        await versions.record_all(by="导入", reason="fawu catalog import")
        report.counts["providers"] = await _upsert_all(
            Provider, "code", [{**p, "search_text": directory.search_text(p)} for p in parsed.providers],
            deactivate=True)
        report.counts["records"] = await _import_records(parsed.records)
        report.counts["cases"] = await _upsert_all(
            CaseStudy, "slug", [{**c, "search_text": library.search_text(c), "status": "published"}
                                for c in parsed.cases], deactivate=False)
    _record_types = parsed.record_types
    return report


async def _upsert_all(model: Any, key: str, rows: list[dict[str, Any]], *, deactivate: bool) -> tuple[int, int]:
    created = updated = 0
    existing = {getattr(o, key): o for o in await model.all()}
    for data in rows:
        obj = existing.get(data[key])
        if obj is None:
            if model is CaseStudy:
                data = {**data, "published_at": utcnow()}
            await model.create(**data)
            created += 1
            continue
        changed = [k for k, v in data.items() if getattr(obj, k) != v]
        if model is CaseStudy and obj.published_at is None:
            obj.published_at = utcnow()
            changed.append("published_at")
        if changed:
            for k in changed:
                setattr(obj, k, data[k] if k in data else getattr(obj, k))
            await obj.save()
            updated += 1
    if deactivate:
        keep = {r[key] for r in rows}
        gone = [k for k in existing if k not in keep]
        if gone:
            await model.filter(**{f"{key}__in": gone}).update(active=False)
    return created, updated


async def _import_records(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Records by code; each creation, change and revocation goes into the audit log."""
    created = updated = 0
    for data in rows:
        revoked = data.pop("revoked")
        obj = await PracticeRecord.get_or_none(code=data["code"])
        if obj is None:
            obj = await PracticeRecord.create(**data, revoked_at=utcnow() if revoked else None,
                                              revoked_reason="导入时标记为已撤销" if revoked else "")
            created += 1
            await staff_service.audit(actor=SYSTEM, action="catalog.record_added", target_type="practice_record",
                                      target_id=obj.id, detail={"code": obj.code, "via": "import"})
            continue
        changed = {k: v for k, v in data.items() if getattr(obj, k) != v}
        if revoked and obj.revoked_at is None:
            changed.update(revoked_at=utcnow(), revoked_reason="导入时标记为已撤销")
        if changed:
            before = {k: str(getattr(obj, k)) for k in changed}
            for k, v in changed.items():
                setattr(obj, k, v)
            await obj.save()
            updated += 1
            await staff_service.audit(actor=SYSTEM, action="catalog.record_changed", target_type="practice_record",
                                      target_id=obj.id, detail={"code": obj.code, "via": "import", "before": before})
    return created, updated


async def check() -> list[str]:
    """What the catalogue lacks: services other domains use (cases, bookings, surveys) that no entry
    covers, and legal bases (of services and cases) that do not resolve in the statute corpus."""
    problems: list[str] = []
    known = await catalogue.known_refs()
    for answer in await events.gather("catalog.references_requested"):
        for source, codes in (answer or {}).items():
            for code in sorted(codes):
                if code not in known:
                    problems.append(f"{source}使用的服务“{code}”在服务清单中没有对应事项（在 services.toml 的 refs 中登记）")
    if not await laws_service.corpus_size():
        return problems + ["法规库尚未导入，无法核对法律依据（fawu laws import）"]
    for s in await CatalogService.filter(active=True).order_by("position"):
        problems += await _unresolved(s.data.get("basis", []), f"服务“{s.name}”（{s.code}）")
    for c in await CaseStudy.all().order_by("slug"):
        problems += await _unresolved(c.laws, f"案例“{c.title}”（{c.slug}）")
    return problems


async def _unresolved(citations: list[dict[str, str]], where: str) -> list[str]:
    out = []
    for cite in citations:
        try:
            await laws_service.get_article(law=cite["law"], article=cite["article"])
        except FawuError as exc:
            out.append(f"{where}的法律依据《{cite['law']}》{cite['article']}无法在法规库中找到：{exc.message_zh}")
    return out
