"""Import the org tree from CSV files a township clerk can edit in a spreadsheet.

Files in one folder (content/org/ by default), UTF-8 (with or without BOM), first row headers:
- units.csv          code,kind,parent_code,name,address,phone,contact_name,opening_hours,latitude,longitude,active
- advisors.csv       code,community_code,name,firm,phone,duty_hours,active
- boards.csv         code,community_code,place,place_kind,qr_kind,active
- service_points.csv code,unit_code,kind,name,address,phone,opening_hours,latitude,longitude,active

Every row is validated before anything is written; one error anywhere imports nothing.
Re-importing the same files updates rows by code and never duplicates them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from app.errors import InvalidInput
from app.org import service as org_service
from app.org.models import Advisor, Board, OrgUnit, ServicePoint, UnitKind

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
BOARD_CODE_RE = re.compile(r"^[A-Za-z0-9]{3,24}$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{5,6})$")
TRUE = {"", "1", "true", "yes", "y", "是", "启用", "有效"}
FALSE = {"0", "false", "no", "n", "否", "停用", "无效", "撤除"}
PLACE_KINDS = {"building", "village_office", "market", "school", "other"}
POINT_KINDS = {"centre", "station", "workroom"}
QR_KINDS = {"", "url", "official", "miniprogram"}

COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    # file: (required columns, optional columns)
    "units.csv": (["code", "kind", "name"],
                  ["parent_code", "address", "phone", "contact_name", "opening_hours", "latitude", "longitude",
                   "active"]),
    "advisors.csv": (["code", "community_code", "name", "phone"], ["firm", "duty_hours", "active"]),
    "boards.csv": (["code", "community_code", "place"], ["place_kind", "qr_kind", "active"]),
    "service_points.csv": (["code", "unit_code", "kind", "name", "address"],
                           ["phone", "opening_hours", "latitude", "longitude", "active"]),
}


class OrgImportError(InvalidInput):
    code = "org_import_invalid"


@dataclass
class ImportReport:
    """What an import found and did."""

    errors: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def summary_zh(self) -> str:
        parts = []
        for name in ("units", "advisors", "boards", "service_points"):
            c, u = self.created.get(name, 0), self.updated.get(name, 0)
            parts.append(f"{_ZH[name]} 新增 {c}，更新 {u}")
        return "；".join(parts)


_ZH = {"units": "单位", "advisors": "法律顾问", "boards": "公示牌", "service_points": "服务点"}


@dataclass
class _Row:
    file: str
    line: int
    data: dict[str, str]

    def where(self) -> str:
        return f"{self.file} 第{self.line}行"


def _read_csv(path: Path, errors: list[str]) -> list[_Row]:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        errors.append(f"{name}: 文件须为 UTF-8 编码（在表格软件中“另存为 CSV UTF-8”）")
        return []
    reader = csv.DictReader(io.StringIO(text))
    required, optional = COLUMNS[name]
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in headers]
    if missing:
        errors.append(f"{name} 第1行: 缺少列 {', '.join(missing)}")
        return []
    unknown = [h for h in headers if h and h not in required and h not in optional]
    if unknown:
        errors.append(f"{name} 第1行: 未知的列 {', '.join(unknown)}")
        return []
    rows = []
    for i, raw in enumerate(reader, start=2):
        if raw is None:
            continue
        data = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw and raw[None]:  # type: ignore[index]
            errors.append(f"{name} 第{i}行: 列数多于表头")
            continue
        if not any(data.values()):
            continue  # blank line
        rows.append(_Row(name, reader.line_num, data))
    return rows


def _bool(row: _Row, key: str, errors: list[str]) -> bool:
    v = row.data.get(key, "").lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    errors.append(f"{row.where()}: {key} 应为 是/否（或 true/false），现为 {v!r}")
    return True


def _float(row: _Row, key: str, errors: list[str], lo: float, hi: float) -> float | None:
    v = row.data.get(key, "")
    if not v:
        return None
    try:
        f = float(v)
    except ValueError:
        errors.append(f"{row.where()}: {key} 应为数字，现为 {v!r}")
        return None
    if not lo <= f <= hi:
        errors.append(f"{row.where()}: {key} 超出范围 {lo}~{hi}")
    return f


def _phone(row: _Row, key: str, errors: list[str], required: bool) -> str:
    v = row.data.get(key, "").replace(" ", "")
    if not v:
        if required:
            errors.append(f"{row.where()}: 缺少 {key}")
        return ""
    if not PHONE_RE.match(v):
        errors.append(f"{row.where()}: {key} 不是有效的电话号码：{v!r}")
    return v


def _need(row: _Row, key: str, errors: list[str], max_len: int) -> str:
    v = row.data.get(key, "")
    if not v:
        errors.append(f"{row.where()}: 缺少 {key}")
    elif len(v) > max_len:
        errors.append(f"{row.where()}: {key} 过长（最多 {max_len} 字）")
    return v


def _opt(row: _Row, key: str, errors: list[str], max_len: int) -> str:
    v = row.data.get(key, "")
    if len(v) > max_len:
        errors.append(f"{row.where()}: {key} 过长（最多 {max_len} 字）")
    return v


def parse_folder(folder: Path) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Read and validate every org file; returns clean records and the errors found."""
    errors: list[str] = []
    if not folder.is_dir():
        return {}, [f"目录不存在：{folder}"]
    if not (folder / "units.csv").is_file():
        return {}, [f"{folder}: 缺少 units.csv"]
    rows = {name: (_read_csv(folder / name, errors) if (folder / name).is_file() else []) for name in COLUMNS}

    units: list[dict[str, Any]] = []
    seen: dict[str, _Row] = {}
    for row in rows["units.csv"]:
        code = row.data["code"]
        if not CODE_RE.match(code):
            errors.append(f"{row.where()}: 编码 {code!r} 只能含字母、数字、_ 和 -（最多32位）")
        if code in seen:
            errors.append(f"{row.where()}: 编码 {code} 与 {seen[code].where()} 重复")
        seen[code] = row
        kind = row.data["kind"]
        if kind not in {k.value for k in UnitKind}:
            errors.append(f"{row.where()}: kind 应为 district/township/community，现为 {kind!r}")
        units.append({
            "code": code, "kind": kind, "parent_code": row.data.get("parent_code", ""),
            "name": _need(row, "name", errors, 64), "address": _opt(row, "address", errors, 200),
            "phone": _phone(row, "phone", errors, False), "contact_name": _opt(row, "contact_name", errors, 32),
            "opening_hours": _opt(row, "opening_hours", errors, 100),
            "latitude": _float(row, "latitude", errors, -90, 90),
            "longitude": _float(row, "longitude", errors, -180, 180),
            "active": _bool(row, "active", errors), "_row": row,
        })
    by_code = {u["code"]: u for u in units}
    districts = [u for u in units if u["kind"] == "district"]
    if len(districts) != 1:
        errors.append(f"units.csv: 须有且只有一个 district（区）单位，现有 {len(districts)} 个")
    expected_parent = {"district": None, "township": "district", "community": "township"}
    for u in units:
        row = u["_row"]
        want = expected_parent.get(u["kind"])
        if want is None:
            if u["parent_code"] and u["kind"] == "district":
                errors.append(f"{row.where()}: 区级单位不应有 parent_code")
            continue
        parent = by_code.get(u["parent_code"])
        if not u["parent_code"]:
            errors.append(f"{row.where()}: 缺少 parent_code")
        elif parent is None:
            errors.append(f"{row.where()}: parent_code {u['parent_code']} 不存在")
        elif parent["kind"] != want:
            errors.append(f"{row.where()}: {u['kind']} 的上级须为 {want}，而 {u['parent_code']} 是 {parent['kind']}")

    def community(row: _Row, key: str) -> str:
        code = row.data.get(key, "")
        unit = by_code.get(code)
        if not code:
            errors.append(f"{row.where()}: 缺少 {key}")
        elif unit is None:
            errors.append(f"{row.where()}: {key} {code} 不存在于 units.csv")
        elif unit["kind"] != "community":
            errors.append(f"{row.where()}: {key} {code} 不是社区/村")
        return code

    def unique(row: _Row, code: str, pool: dict[str, _Row], pattern: re.Pattern[str], label: str) -> None:
        if not pattern.match(code):
            errors.append(f"{row.where()}: {label}编码 {code!r} 格式不对")
        if code in pool:
            errors.append(f"{row.where()}: {label}编码 {code} 与 {pool[code].where()} 重复")
        pool[code] = row

    advisors: list[dict[str, Any]] = []
    pool: dict[str, _Row] = {}
    for row in rows["advisors.csv"]:
        unique(row, row.data["code"], pool, CODE_RE, "顾问")
        advisors.append({
            "code": row.data["code"], "community_code": community(row, "community_code"),
            "name": _need(row, "name", errors, 32), "firm": _opt(row, "firm", errors, 100),
            "phone": _phone(row, "phone", errors, True), "duty_hours": _opt(row, "duty_hours", errors, 100),
            "active": _bool(row, "active", errors),
        })

    boards: list[dict[str, Any]] = []
    pool = {}
    for row in rows["boards.csv"]:
        code = row.data["code"]
        unique(row, code, pool, BOARD_CODE_RE, "公示牌")
        place_kind = row.data.get("place_kind") or "building"
        if place_kind not in PLACE_KINDS:
            errors.append(f"{row.where()}: place_kind 应为 {'/'.join(sorted(PLACE_KINDS))}")
        qr_kind = row.data.get("qr_kind", "")
        if qr_kind not in QR_KINDS:
            errors.append(f"{row.where()}: qr_kind 应为 url/official/miniprogram 或留空")
        boards.append({
            "code": code, "community_code": community(row, "community_code"),
            "place": _need(row, "place", errors, 100), "place_kind": place_kind, "qr_kind": qr_kind or None,
            "active": _bool(row, "active", errors),
        })

    points: list[dict[str, Any]] = []
    pool = {}
    for row in rows["service_points.csv"]:
        unique(row, row.data["code"], pool, CODE_RE, "服务点")
        unit_code = row.data.get("unit_code", "")
        if unit_code not in by_code:
            errors.append(f"{row.where()}: unit_code {unit_code} 不存在于 units.csv")
        if row.data["kind"] not in POINT_KINDS:
            errors.append(f"{row.where()}: kind 应为 centre/station/workroom")
        points.append({
            "code": row.data["code"], "unit_code": unit_code, "kind": row.data["kind"],
            "name": _need(row, "name", errors, 100), "address": _need(row, "address", errors, 200),
            "phone": _phone(row, "phone", errors, False), "opening_hours": _opt(row, "opening_hours", errors, 100),
            "latitude": _float(row, "latitude", errors, -90, 90),
            "longitude": _float(row, "longitude", errors, -180, 180), "active": _bool(row, "active", errors),
        })
    for u in units:
        u.pop("_row", None)
    return {"units": units, "advisors": advisors, "boards": boards, "service_points": points}, errors


async def import_folder(folder: Path, *, dry_run: bool = False) -> ImportReport:
    """Validate the folder, then upsert everything in one transaction (all or nothing)."""
    records, errors = parse_folder(folder)
    report = ImportReport(errors=errors)
    if errors:
        raise OrgImportError("组织数据有误，未导入任何内容：\n" + "\n".join(errors), errors=errors)
    if dry_run:
        return report
    async with in_transaction():
        units_by_code: dict[str, OrgUnit] = {}
        # parents first: district, then townships, then communities
        order = {"district": 0, "township": 1, "community": 2}
        for u in sorted(records["units"], key=lambda r: order[r["kind"]]):
            data = {k: v for k, v in u.items() if k not in ("code", "parent_code")}
            data["parent"] = units_by_code.get(u["parent_code"]) if u["parent_code"] else None
            obj, created = await _upsert(OrgUnit, u["code"], data)
            units_by_code[u["code"]] = obj
            _count(report, "units", created)
        for a in records["advisors"]:
            data = {k: v for k, v in a.items() if k not in ("code", "community_code")}
            data["community"] = units_by_code[a["community_code"]]
            _, created = await _upsert(Advisor, a["code"], data)
            _count(report, "advisors", created)
        for b in records["boards"]:
            data = {k: v for k, v in b.items() if k not in ("code", "community_code")}
            data["community"] = units_by_code[b["community_code"]]
            _, created = await _upsert(Board, b["code"], data)
            _count(report, "boards", created)
        for p in records["service_points"]:
            data = {k: v for k, v in p.items() if k not in ("code", "unit_code")}
            data["unit"] = units_by_code[p["unit_code"]]
            _, created = await _upsert(ServicePoint, p["code"], data)
            _count(report, "service_points", created)
    org_service.invalidate_cache()  # this process at once; others within org_service.CHECK_EVERY
    return report


def codes_from_files(content_dir: Path) -> set[str]:
    """Unit codes from content/org/units.csv (for checks that run without a database)."""
    records, _ = parse_folder(content_dir / "org")
    return {u["code"] for u in records.get("units", [])}


def _count(report: ImportReport, name: str, created: bool) -> None:
    target = report.created if created else report.updated
    target[name] = target.get(name, 0) + 1


async def _upsert(model: Any, code: str, data: dict[str, Any]) -> tuple[Any, bool]:
    obj = await model.get_or_none(code=code)
    if obj is None:
        return await model.create(code=code, **data), True
    changed = False
    for k, v in data.items():
        if k in ("parent", "community", "unit"):
            current, new = getattr(obj, k + "_id"), (v.pk if v is not None else None)
        else:
            current, new = getattr(obj, k), v
        if current != new:
            setattr(obj, k, v)
            changed = True
    if changed:
        await obj.save()
    return obj, False
