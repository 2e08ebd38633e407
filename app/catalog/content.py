"""Read and validate the catalogue's content files (content/catalog/): no database, every error in
Chinese with its file and line, so an import can refuse everything at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{5,6})$")
TIME_LIMIT_RE = re.compile(r"^(\d{1,3})(d|wd|m|h)$")
TIME_LIMIT_ZH = {"d": "日", "wd": "个工作日", "m": "个月", "h": "小时"}
TRUE = {"", "1", "true", "yes", "y", "是", "启用", "有效"}
FALSE = {"0", "false", "no", "n", "否", "停用", "无效"}

# Kinds of providers (服务主体), in the order the directory lists them.
KIND_ZH: dict[str, str] = {
    "legal_aid_centre": "法律援助中心", "judicial_office": "司法所", "law_firm": "律师事务所", "lawyer": "律师",
    "grassroots_service": "基层法律服务所", "grassroots_worker": "基层法律服务工作者", "notary_office": "公证处",
    "notary": "公证员", "mediation_committee": "人民调解委员会", "mediator": "人民调解员",
    "appraisal_institution": "司法鉴定机构", "appraiser": "司法鉴定人",
}
PERSON_KINDS = frozenset({"lawyer", "grassroots_worker", "notary", "mediator", "appraiser"})
# The directory's speciality vocabulary (服务领域), as residents read it.
SPECIALITIES: tuple[str, ...] = (
    "法律咨询", "法律援助", "人民调解", "婚姻家庭", "继承", "劳动争议", "工伤", "借贷与合同", "交通事故",
    "房产土地", "消费维权", "侵权与邻里", "医疗纠纷", "刑事辩护", "行政诉讼", "公司企业", "公证", "司法鉴定",
)
# The sections of a typical case, in order: heading → field.
CASE_SECTIONS: dict[str, str] = {
    "基本案情": "facts", "争议焦点": "dispute", "处理结果": "resolution", "法律依据": "law_text", "典型意义": "lesson",
}
SERVICE_REQUIRED = ("code", "name", "group", "summary", "who", "where", "commitment", "cost", "funding")
SERVICE_TEXT = ("summary", "who", "commitment", "result", "cost", "funding", "policy")
SERVICE_LISTS = ("providers", "where", "materials", "refs", "keywords")


@dataclass
class Parsed:
    """Clean records of the whole folder and every error found."""

    services: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    record_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def time_limit_zh(code: str) -> str:
    m = TIME_LIMIT_RE.match(code or "")
    return f"{m.group(1)}{TIME_LIMIT_ZH[m.group(2)]}" if m else ""


def _lines_of(text: str, header: str) -> list[int]:
    """Line numbers (1-based) of each ``[[header]]`` table in a TOML text."""
    return [i for i, line in enumerate(text.splitlines(), start=1) if line.strip() == f"[[{header}]]"]


def _read_toml(path: Path, errors: list[str]) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except UnicodeDecodeError:
        errors.append(f"{path.name}: 文件须为 UTF-8 编码")
    except tomllib.TOMLDecodeError as exc:
        errors.append(f"{path.name}: 格式错误（{exc}）")
    return {}, ""


def _citations(raw: Any, where: str, errors: list[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if not isinstance(raw, list):
        errors.append(f"{where}: 法律依据须为列表，如 [{{ law = \"法律援助法\", article = \"第四十三条\" }}]")
        return out
    for c in raw:
        if not isinstance(c, dict) or not str(c.get("law", "")).strip() or not str(c.get("article", "")).strip():
            errors.append(f"{where}: 法律依据每项须有 law 和 article：{c!r}")
            continue
        out.append({"law": str(c["law"]).strip().strip("《》"), "article": str(c["article"]).strip()})
    return out


SERVICE_FIELD_ZH = {"code": "编码", "name": "事项名称", "group": "类别", "summary": "服务内容", "who": "服务对象",
                    "where": "办理地点", "commitment": "服务承诺", "cost": "收费", "funding": "经费来源"}


def service_record(raw: dict[str, Any], *, where: str, position: int, errors: list[str]) -> dict[str, Any] | None:
    """One ``[[service]]`` table (or the console's form) checked and cleaned; None when it is unusable."""
    code = str(raw.get("code", ""))
    missing = [f"{SERVICE_FIELD_ZH[k]}（{k}）" for k in SERVICE_REQUIRED if not raw.get(k)]
    if missing:
        errors.append(f"{where}: 缺少 {'、'.join(missing)}")
        return None
    if not CODE_RE.match(code):
        errors.append(f"{where}: 编码只能含字母、数字、_ 和 -")
    limit = str(raw.get("time_limit", ""))
    if limit and not TIME_LIMIT_RE.match(limit):
        errors.append(f"{where}: time_limit（办理时限）应为 7d（日）、15wd（工作日）、1m（月）、24h（小时）或留空，现为 {limit!r}")
    record: dict[str, Any] = {"code": code, "name": str(raw["name"])[:64], "group": str(raw["group"])[:32],
                              "position": position, "time_limit": limit}
    body: dict[str, Any] = {k: str(raw.get(k, "")).strip() for k in SERVICE_TEXT}
    for k in SERVICE_LISTS:
        v = raw.get(k, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            errors.append(f"{where}: {k} 须为文字列表")
            v = []
        body[k] = [x.strip() for x in v if x.strip()]
    for k in body["providers"]:
        if k not in KIND_ZH:
            errors.append(f"{where}: providers 中的 {k!r} 不是已知的服务主体类型（{'/'.join(KIND_ZH)}）")
    body["basis"] = _citations(raw.get("basis", []), where, errors)
    if not body["basis"] and not body["policy"]:
        errors.append(f"{where}: 须写明法律依据（basis）或政策依据（policy）")
    record["refs"] = body.pop("refs")
    record["data"] = body
    return record


def parse_services(path: Path, errors: list[str]) -> list[dict[str, Any]]:
    """The catalogue file: one ``[[service]]`` table per service."""
    data, text = _read_toml(path, errors)
    lines = _lines_of(text, "service")
    out: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    refs_seen: dict[str, str] = {}
    for i, raw in enumerate(data.get("service", [])):
        where = f"{path.name} 第{lines[i] if i < len(lines) else '?'}行"
        code = str(raw.get("code", ""))
        if code:
            where += f"（{code}）"
        record = service_record(raw, where=where, position=i, errors=errors)
        if record is None:
            continue
        if code in seen:
            errors.append(f"{where}: 编码 {code} 与 {seen[code]} 重复")
        seen[code] = where
        for ref in record["refs"]:
            if ref in refs_seen:
                errors.append(f"{where}: refs 中的 {ref} 已被 {refs_seen[ref]} 使用")
            refs_seen[ref] = where
        out.append(record)
    if not out and not errors:
        errors.append(f"{path.name}: 没有任何服务事项")
    return out


def parse_record_types(path: Path, errors: list[str]) -> dict[str, dict[str, Any]]:
    data, text = _read_toml(path, errors)
    lines = _lines_of(text, "type")
    out: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(data.get("type", [])):
        where = f"{path.name} 第{lines[i] if i < len(lines) else '?'}行"
        code, days = str(raw.get("code", "")), raw.get("display_days")
        if not CODE_RE.match(code) or not raw.get("name"):
            errors.append(f"{where}: 须有 code 和 name")
            continue
        if not isinstance(days, int) or not 1 <= days <= 3650:
            errors.append(f"{where}: display_days 须为 1~3650 的整数")
            continue
        out[code] = {"code": code, "name": str(raw["name"]), "source": str(raw.get("source", "")), "display_days": days}
    return out


@dataclass
class _Row:
    file: str
    line: int
    data: dict[str, str]

    def where(self) -> str:
        return f"{self.file} 第{self.line}行"


def read_csv(name: str, text: str, required: list[str], optional: list[str], errors: list[str]) -> list[_Row]:
    """Rows of a CSV text with their line numbers (a header check first; blank lines skipped)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in headers]
    if missing:
        errors.append(f"{name} 第1行: 缺少列 {', '.join(missing)}")
        return []
    unknown = [h for h in headers if h and h not in required and h not in optional]
    if unknown:
        errors.append(f"{name} 第1行: 未知的列 {', '.join(unknown)}")
        return []
    rows: list[_Row] = []
    for raw in reader:
        line = reader.line_num
        if None in raw and raw[None]:  # type: ignore[index]
            errors.append(f"{name} 第{line}行: 列数多于表头")
            continue
        data = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if any(data.values()):
            rows.append(_Row(name, line, data))
    return rows


def _split(v: str) -> list[str]:
    return [x.strip() for x in re.split(r"[;；、,，]", v) if x.strip()]


def _bool(row: _Row, key: str, errors: list[str]) -> bool:
    v = row.data.get(key, "").lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    errors.append(f"{row.where()}: {key} 应为 是/否，现为 {v!r}")
    return True


def _text(row: _Row, key: str, errors: list[str], max_len: int, *, required: bool = False) -> str:
    v = row.data.get(key, "")
    if required and not v:
        errors.append(f"{row.where()}: 缺少 {key}")
    elif len(v) > max_len:
        errors.append(f"{row.where()}: {key} 过长（最多 {max_len} 字）")
    return v[:max_len]


PROVIDER_REQUIRED = ["code", "kind", "name", "townships"]
PROVIDER_OPTIONAL = ["parent_code", "specialities", "duty_hours", "dialects", "phone", "address", "licence_no",
                     "advisor_code", "intro", "active"]


def parse_providers(name: str, text: str, townships: set[str], errors: list[str]) -> list[dict[str, Any]]:
    """The directory CSV (providers.csv): validated row by row, every error with its line."""
    out: list[dict[str, Any]] = []
    seen: dict[str, _Row] = {}
    for row in read_csv(name, text, PROVIDER_REQUIRED, PROVIDER_OPTIONAL, errors):
        d = row.data
        code, kind = d["code"], d["kind"]
        if not CODE_RE.match(code):
            errors.append(f"{row.where()}: 编码 {code!r} 只能含字母、数字、_ 和 -（最多32位）")
        elif code in seen:
            errors.append(f"{row.where()}: 编码 {code} 与 {seen[code].where()} 重复")
        seen[code] = row
        if kind not in KIND_ZH:
            errors.append(f"{row.where()}: 类型 kind {kind!r} 不对，应为 {'/'.join(KIND_ZH)}")
        units = _split(d.get("townships", ""))
        if not units:
            errors.append(f"{row.where()}: 缺少 townships（服务的镇街编码，用 ; 分隔）")
        for u in units:
            if townships and u not in townships:
                errors.append(f"{row.where()}: 镇街编码 {u} 不存在于组织数据（content/org/units.csv）")
        specs = _split(d.get("specialities", ""))
        for s in specs:
            if s not in SPECIALITIES:
                errors.append(f"{row.where()}: 服务领域 {s!r} 不在词表中（{'、'.join(SPECIALITIES)}）")
        phone = d.get("phone", "").replace(" ", "")
        if phone and not PHONE_RE.match(phone):
            errors.append(f"{row.where()}: phone 不是有效的电话号码：{phone!r}")
        out.append({
            "code": code, "kind": kind, "name": _text(row, "name", errors, 64, required=True),
            "parent_code": d.get("parent_code", ""), "townships": units, "specialities": specs,
            "duty_hours": _text(row, "duty_hours", errors, 100), "dialects": _split(d.get("dialects", "")),
            "phone": phone, "address": _text(row, "address", errors, 200),
            "licence_no": _text(row, "licence_no", errors, 32), "advisor_code": d.get("advisor_code", ""),
            "intro": _text(row, "intro", errors, 300), "active": _bool(row, "active", errors), "_row": row,
        })
    by_code = {p["code"]: p for p in out}
    for p in out:
        row = p.pop("_row")
        parent = p["parent_code"]
        if parent and parent not in by_code:
            errors.append(f"{row.where()}: 所属机构 parent_code {parent} 不在本文件中")
        elif parent and by_code[parent]["kind"] in PERSON_KINDS:
            errors.append(f"{row.where()}: 所属机构 {parent} 是个人，不是机构")
        if p["kind"] in PERSON_KINDS and not parent:
            errors.append(f"{row.where()}: 个人（{KIND_ZH.get(p['kind'], p['kind'])}）须填写所属机构 parent_code")
    return out


RECORD_REQUIRED = ["code", "provider_code", "type", "decision_date", "authority", "summary"]
RECORD_OPTIONAL = ["source_ref", "display_until", "revoked"]


def _date(row: _Row, key: str, errors: list[str]) -> dt.date | None:
    v = row.data.get(key, "")
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        errors.append(f"{row.where()}: {key} 应为日期 YYYY-MM-DD，现为 {v!r}")
        return None


def display_until(decision: dt.date, days: int) -> dt.date:
    """The last day a record shows: ``days`` after the decision date (the decision day not counted)."""
    return decision + dt.timedelta(days=days)


def parse_records(name: str, text: str, providers: set[str], types: dict[str, dict[str, Any]],
                  errors: list[str]) -> list[dict[str, Any]]:
    """Practice records (records.csv) of the directory's providers."""
    out: list[dict[str, Any]] = []
    seen: dict[str, _Row] = {}
    for row in read_csv(name, text, RECORD_REQUIRED, RECORD_OPTIONAL, errors):
        d = row.data
        code = d["code"]
        if not CODE_RE.match(code):
            errors.append(f"{row.where()}: 编码 {code!r} 格式不对")
        elif code in seen:
            errors.append(f"{row.where()}: 编码 {code} 与 {seen[code].where()} 重复")
        seen[code] = row
        if d["provider_code"] not in providers:
            errors.append(f"{row.where()}: provider_code {d['provider_code']} 不在服务机构名录中")
        rtype = types.get(d["type"])
        if rtype is None:
            errors.append(f"{row.where()}: 类型 {d['type']!r} 不在 record_types.toml 中")
        decided = _date(row, "decision_date", errors)
        if decided is None and d.get("decision_date", "") == "":
            errors.append(f"{row.where()}: 缺少 decision_date")
        until = _date(row, "display_until", errors)
        if decided and until and until < decided:
            errors.append(f"{row.where()}: display_until 早于决定日期")
        if decided and rtype and until is None:
            until = display_until(decided, rtype["display_days"])
        out.append({"code": code, "provider_code": d["provider_code"], "type": d["type"],
                    "authority": _text(row, "authority", errors, 64, required=True), "decision_date": decided,
                    "display_until": until, "summary": _text(row, "summary", errors, 2000, required=True),
                    "source_ref": _text(row, "source_ref", errors, 64),
                    "revoked": _bool(row, "revoked", errors) if d.get("revoked") else False})
    return out


def parse_case(path: Path, categories: dict[str, str], errors: list[str]) -> dict[str, Any] | None:
    """One typical case: TOML front matter between ``+++`` lines, then the five ``## `` sections."""
    name = f"cases/{path.name}"
    slug = path.stem
    if not SLUG_RE.match(slug):
        errors.append(f"{name}: 文件名只能用小写字母、数字和 -")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        errors.append(f"{name}: 文件须为 UTF-8 编码")
        return None
    parts = text.split("+++", 2)
    if len(parts) != 3 or parts[0].strip():
        errors.append(f"{name} 第1行: 须以 +++ 包围的信息开头")
        return None
    try:
        meta = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as exc:
        errors.append(f"{name}: 开头信息格式错误（{exc}）")
        return None
    body_start = parts[0].count("\n") + parts[1].count("\n") + 1
    case = case_fields(meta, parts[2], categories=categories, name=name, first_line=body_start, errors=errors)
    if case is not None:
        case["slug"], case["source"] = slug, name
    return case


def case_fields(meta: dict[str, Any], body: str, *, categories: dict[str, str], name: str, first_line: int,
                errors: list[str]) -> dict[str, Any] | None:
    """Validate a case's front matter and split its body into sections (shared with the console editor)."""
    bad = len(errors)
    title = str(meta.get("title", "")).strip()
    if not title or len(title) > 64:
        errors.append(f"{name}: 标题 title 须为 1~64 字")
    category = str(meta.get("category", ""))
    if category not in categories:
        errors.append(f"{name}: 类别 category {category!r} 不对，应为 {'/'.join(categories)}")
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors.append(f"{name}: tags 须为文字列表")
        tags = []
    pseudonyms = meta.get("pseudonyms", [])
    if not isinstance(pseudonyms, list) or not all(isinstance(t, str) for t in pseudonyms):
        errors.append(f"{name}: pseudonyms 须为文字列表（文中使用的化名）")
        pseudonyms = []
    laws = _citations(meta.get("laws", []), name, errors)
    if not laws:
        errors.append(f"{name}: 须列出所引法条 laws")
    sections: dict[str, str] = {}
    current: str | None = None
    buf: list[str] = []
    for i, line in enumerate(body.splitlines(), start=first_line):
        m = re.match(r"^##\s+(.+?)\s*$", line)
        if m:
            if current:
                sections[current] = "\n".join(buf).strip()
            current, buf = CASE_SECTIONS.get(m.group(1)), []
            if current is None:
                errors.append(f"{name} 第{i}行: 未知的小标题 {m.group(1)!r}，应为 {'、'.join(CASE_SECTIONS)}")
            continue
        buf.append(line)
    if current:
        sections[current] = "\n".join(buf).strip()
    for heading, key in CASE_SECTIONS.items():
        if not sections.get(key):
            errors.append(f"{name}: 缺少“{heading}”一节或内容为空")
    if len(errors) > bad:
        return None
    return {"title": title, "category": category, "tags": [t.strip() for t in tags if t.strip()][:12],
            "laws": laws, "author": str(meta.get("author", ""))[:32], "pseudonyms": [p.strip() for p in pseudonyms],
            **{k: sections[k] for k in CASE_SECTIONS.values()}}


def parse_folder(folder: Path, *, townships: set[str], categories: dict[str, str]) -> Parsed:
    """Everything in content/catalog/, validated; ``townships``: the org's township codes, ``categories``:
    the consultation's matter categories (code → label)."""
    out = Parsed()
    errors = out.errors
    if not folder.is_dir():
        errors.append(f"目录不存在：{folder}")
        return out
    if (folder / "services.toml").is_file():
        out.services = parse_services(folder / "services.toml", errors)
    else:
        errors.append(f"{folder}: 缺少 services.toml")
    if (folder / "record_types.toml").is_file():
        out.record_types = parse_record_types(folder / "record_types.toml", errors)
    if (folder / "providers.csv").is_file():
        out.providers = parse_providers("providers.csv", _read_text(folder / "providers.csv", errors), townships, errors)
    if (folder / "records.csv").is_file():
        out.records = parse_records("records.csv", _read_text(folder / "records.csv", errors),
                                    {p["code"] for p in out.providers}, out.record_types, errors)
    for path in sorted((folder / "cases").glob("*.md")) if (folder / "cases").is_dir() else []:
        case = parse_case(path, categories, errors)
        if case is not None:
            out.cases.append(case)
    return out


def _read_text(path: Path, errors: list[str]) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        errors.append(f"{path.name}: 文件须为 UTF-8 编码（在表格软件中“另存为 CSV UTF-8”）")
        return ""
