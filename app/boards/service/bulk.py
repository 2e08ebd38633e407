"""Bulk add of boards from a CSV (``fawu boards add``): everything checked first, all or nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.boards.service.errors import BoardsImportError
from app.boards.service.scenes import BOARD_CODE_RE
from app.org import service as org_service
from app.org.importer import FALSE, PLACE_KINDS, QR_KINDS, TRUE

BOARD_COLUMNS_REQUIRED = ["code", "community_code", "place"]
BOARD_COLUMNS_OPTIONAL = ["place_kind", "qr_kind", "active"]


def parse_boards_csv(data: bytes, *, name: str = "boards.csv") -> tuple[list[dict[str, Any]], list[str]]:
    """Parse and validate a boards file (no database); returns rows and the errors found."""
    errors: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [f"{name}: 文件须为 UTF-8 编码（在表格软件中“另存为 CSV UTF-8”）"]
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in BOARD_COLUMNS_REQUIRED if c not in headers]
    if missing:
        return [], [f"{name} 第1行: 缺少列 {', '.join(missing)}"]
    unknown = [h for h in headers if h and h not in BOARD_COLUMNS_REQUIRED + BOARD_COLUMNS_OPTIONAL]
    if unknown:
        return [], [f"{name} 第1行: 未知的列 {', '.join(unknown)}"]
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        where = f"{name} 第{line}行"
        if None in raw and raw[None]:  # type: ignore[index]
            errors.append(f"{where}: 列数多于表头")
            continue
        d = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(d.values()):
            continue
        code = d.get("code", "")
        if not BOARD_CODE_RE.match(code):
            errors.append(f"{where}: 公示牌编码 {code!r} 格式不对（3–24 位英文字母或数字）")
        elif code in seen:
            errors.append(f"{where}: 公示牌编码 {code} 与第{seen[code]}行重复")
        seen[code] = line
        if not d.get("community_code"):
            errors.append(f"{where}: 缺少 community_code")
        place = d.get("place", "")
        if not place:
            errors.append(f"{where}: 缺少 place")
        elif len(place) > 100:
            errors.append(f"{where}: place 过长（最多 100 字）")
        place_kind = d.get("place_kind") or "building"
        if place_kind not in PLACE_KINDS:
            errors.append(f"{where}: place_kind 应为 {'/'.join(sorted(PLACE_KINDS))}")
        qr_kind = d.get("qr_kind", "")
        if qr_kind not in QR_KINDS:
            errors.append(f"{where}: qr_kind 应为 url/official/miniprogram 或留空")
        active_raw = d.get("active", "").lower()
        if active_raw not in TRUE and active_raw not in FALSE:
            errors.append(f"{where}: active 应为 是/否（或 true/false），现为 {active_raw!r}")
        out.append({"code": code, "community_code": d.get("community_code", ""), "place": place,
                    "place_kind": place_kind, "qr_kind": qr_kind or None, "active": active_raw not in FALSE,
                    "_where": where})
    if not out and not errors:
        errors.append(f"{name}: 没有任何公示牌")
    return out, errors


async def add_boards(*, data: bytes, name: str = "boards.csv", dry_run: bool = False) -> int:
    """Add new boards from a CSV file: every row is checked first; one error adds nothing."""
    rows, errors = parse_boards_csv(data, name=name)
    if rows:
        errors += await org_service.board_problems(rows)
    if errors:
        raise BoardsImportError("公示牌文件有误，未添加任何内容：\n" + "\n".join(errors), errors=errors)
    if dry_run:
        return len(rows)
    return await org_service.create_boards(rows)
