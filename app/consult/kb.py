"""The knowledge base (content/kb/*.toml): loading, validation (``fawu kb check``) and categories."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The fixed category codes, with the Chinese label residents see (order = clarify menu order).
CATEGORIES: dict[str, str] = {
    "labor": "劳动工资与工伤",
    "marriage_family": "婚姻家庭",
    "inheritance": "继承",
    "debt_contract": "借贷与合同",
    "traffic": "交通事故",
    "property_land": "房产土地与征收",
    "consumer": "消费维权",
    "tort_neighbour": "侵权与邻里",
    "medical": "医疗纠纷",
    "criminal": "刑事",
    "administrative": "行政与信访",
    "legal_aid": "法律援助",
    "mediation": "人民调解",
    "notarization": "公证",
    "other": "其他",
}

# The next-step service codes an entry may name, with the sentence the resident reads.
SERVICES: dict[str, str] = {
    "advisor": "可先联系您所在村（社区）的法律顾问当面咨询",
    "legal_aid": "符合条件的可申请法律援助（免费律师），可到县区法律援助中心或拨打 12348 申请",
    "mediation": "可申请人民调解（免费），村（社区）人民调解委员会或乡镇（街道）调解委员会可以帮忙调解",
    "notarization": "办理公证请带齐身份证件和相关材料到公证处申请",
    "labor_arbitration": "可向用人单位所在地的劳动人事争议仲裁委员会申请仲裁（免费），也可向劳动保障监察部门投诉",
    "labor_inspection": "可向当地劳动保障监察部门（人社局劳动监察大队）投诉举报，也可申请劳动仲裁",
    "court": "协商调解不成的，可以向人民法院起诉，起诉前最好请律师看看证据",
    "police": "涉及违法犯罪的，请及时向公安机关报案（紧急情况拨打 110）",
    "hotline": "可拨打 12348 公共法律服务热线详细咨询",
    "station": "可到乡镇（街道）公共法律服务工作站当面咨询",
    "consumer_complaint": "可拨打 12315 或通过全国12315平台投诉举报",
    "traffic_police": "可联系处理事故的公安交警部门，对赔偿有争议可申请调解或起诉",
    "medical_mediation": "可申请医疗纠纷人民调解委员会调解（免费），或申请医疗损害鉴定",
    "administrative_review": "对行政行为不服的，可申请行政复议或提起行政诉讼，注意期限",
    "petition": "可通过信访渠道反映，按《信访工作条例》逐级提出",
    "social_security": "工伤认定、社保问题可找当地人力资源和社会保障部门",
    "civil_affairs": "婚姻登记、救助等可到当地民政部门办理",
    "land_bureau": "土地、不动产登记问题可找当地自然资源或不动产登记部门",
}

# Laws the Civil Code (and others) repealed: never cite them.
REPEALED: frozenset[str] = frozenset(
    {"婚姻法", "继承法", "合同法", "物权法", "侵权责任法", "民法总则", "担保法", "收养法", "民法通则"}
)

# Whose side an entry speaks to (used to re-rank entries that share the facts but not the role).
SIDES: frozenset[str] = frozenset({
    "any", "victim", "offender", "employee", "employer", "tenant", "landlord", "buyer", "seller",
    "lender", "borrower", "child", "parent", "spouse", "heir", "owner", "neighbour", "patient",
    "consumer", "business", "applicant", "official",
})
GIST_MAX = 150

REQUIRED = ("id", "category", "question", "answer", "statutes", "service", "reviewer", "review_date")
ARTICLE_RE = re.compile(r"^第[零〇一二三四五六七八九十百千]+条(之[一二三四五六七八九十]+)?$")
CN_PREFIX = "中华人民共和国"


def short_law_name(name: str) -> str:
    """A law's short name: no 《》, no 中华人民共和国 (also inside an embedded title)."""
    name = name.strip().strip("《》").strip()
    return name.replace(CN_PREFIX, "")


_SPC = "最高人民法院关于"


def display_law_name(name: str) -> str:
    """The name a resident reads: judicial interpretations shortened the way lawyers say them
    (最高人民法院关于审理民间借贷案件适用法律若干问题的规定 → 民间借贷规定)."""
    if not name.startswith(_SPC):
        return name
    short = name[len(_SPC):]
    short = re.sub(r"^审理", "", short)
    short = re.sub(r"^适用《([^》]+)》", r"\1", short)
    short = re.sub(r"^适用", "", short)
    short = re.sub(r"(案件)?适用法律(若干)?问题的|案件的|若干问题的|的(?=解释|规定)", "", short)
    short = short.replace("有关担保制度", "担保制度").replace("确定民事侵权", "").replace("民事案件适用", "")
    return short or name


@dataclass(frozen=True)
class Statute:
    law: str
    article: str

    def cite(self) -> str:
        return f"《{self.law}》{self.article}"

    def short_cite(self) -> str:
        """The citation with a short law name (for a phone)."""
        return f"《{display_law_name(self.law)}》{self.article}"


@dataclass
class Entry:
    """One knowledge-base entry as loaded from a TOML file."""

    id: str
    category: str
    question: str
    asks: list[str]
    answer: str
    statutes: list[Statute]
    service: str
    reviewer: str
    review_date: dt.date | None
    keywords: list[str] = field(default_factory=list)
    gist: str = ""  # the yes/no or decisive point, shown first (<= GIST_MAX characters)
    side: str = "any"  # whose side the entry speaks to (SIDES)
    signoff_by: str = ""  # a lawyer's sign-off (empty: only the first review so far)
    signoff_date: dt.date | None = None
    file: str = ""
    line: int = 0


@dataclass
class KbProblem:
    file: str
    entry_id: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        who = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}{who}: {self.message}"


@dataclass
class KbLoad:
    entries: list[Entry]
    problems: list[KbProblem]


def _id_lines(text: str) -> dict[str, list[int]]:
    """Line numbers of each ``id = "..."`` (TOML parsers do not keep positions)."""
    out: dict[str, list[int]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = re.match(r'\s*id\s*=\s*["\']([^"\']+)["\']', line)
        if m:
            out.setdefault(m.group(1), []).append(n)
    return out


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def load_kb(folder: Path) -> KbLoad:
    """Load every ``*.toml`` in the folder; malformed entries are reported and skipped."""
    entries: list[Entry] = []
    problems: list[KbProblem] = []
    seen: dict[str, str] = {}
    if not folder.is_dir():
        return KbLoad([], [KbProblem(str(folder), None, None, "知识库目录不存在")])
    for path in sorted(folder.glob("*.toml")):
        fname = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except UnicodeDecodeError:
            problems.append(KbProblem(fname, None, None, "文件须为 UTF-8 编码"))
            continue
        except tomllib.TOMLDecodeError as exc:
            problems.append(KbProblem(fname, None, None, f"TOML 格式错误：{exc}"))
            continue
        lines = _id_lines(text)
        used_line: dict[str, int] = {}
        raw_entries = data.get("entry", [])
        if not isinstance(raw_entries, list):
            problems.append(KbProblem(fname, None, None, "须由 [[entry]] 条目组成"))
            continue
        for i, raw in enumerate(raw_entries, start=1):
            eid = raw.get("id") if isinstance(raw.get("id"), str) else None
            line = None
            if eid and eid in lines:
                k = used_line.get(eid, 0)
                line = lines[eid][min(k, len(lines[eid]) - 1)]
                used_line[eid] = k + 1
            where_id = eid or f"第{i}条"

            def bad(msg: str, _id: str = where_id, _line: int | None = line, _f: str = fname) -> None:
                problems.append(KbProblem(_f, _id, _line, msg))

            before = len(problems)
            for key in REQUIRED:
                if raw.get(key) in (None, "", []):
                    bad(f"缺少必填字段 {key}")
            if len(problems) > before:
                continue
            if not eid:
                bad("id 须为字符串")
                continue
            if eid in seen:
                bad(f"id 重复（已在 {seen[eid]} 出现）")
                continue
            category = raw["category"]
            if category not in CATEGORIES:
                bad(f"未知类别 {category!r}，须为：{', '.join(CATEGORIES)}")
            service = raw["service"]
            if service not in SERVICES:
                bad(f"未知服务代码 {service!r}，须为：{', '.join(SERVICES)}")
            asks = _str_list(raw.get("asks"))
            keywords = _str_list(raw.get("keywords"))
            if asks is None:
                bad("asks 须为字符串列表")
            if keywords is None:
                bad("keywords 须为字符串列表")
            for key in ("question", "answer", "reviewer"):
                if not isinstance(raw[key], str) or not raw[key].strip():
                    bad(f"{key} 须为非空字符串")
            answer = raw["answer"] if isinstance(raw["answer"], str) else ""
            if answer and "12348" not in answer and "律师" not in answer:
                bad("答复须提示何时咨询律师或拨打 12348")
            review = raw["review_date"]
            if isinstance(review, dt.datetime):
                review = review.date()
            if not isinstance(review, dt.date):
                bad("review_date 须为日期，如 2026-11-20")
                review = None
            gist = raw.get("gist", "")
            if not isinstance(gist, str) or len(gist.strip()) > GIST_MAX:
                bad(f"gist 须为不超过 {GIST_MAX} 字的字符串（先答是否、关键点）")
                gist = ""
            side = raw.get("side", "any")
            if side not in SIDES:
                bad(f"未知 side {side!r}，须为：{', '.join(sorted(SIDES))}")
            signoff_by, signoff_date = "", None
            signoff = raw.get("signoff")
            if signoff is not None:
                if not isinstance(signoff, dict) or not isinstance(signoff.get("by"), str) \
                        or not signoff["by"].strip() or not isinstance(signoff.get("date"), dt.date):
                    bad("signoff 须为 { by = \"律师姓名 律所\", date = 2026-12-01 }")
                else:
                    signoff_by, signoff_date = signoff["by"].strip(), signoff["date"]
            statutes: list[Statute] = []
            if not isinstance(raw["statutes"], list):
                bad("statutes 须为列表")
            else:
                for s in raw["statutes"]:
                    if not isinstance(s, dict) or not isinstance(s.get("law"), str) \
                            or not isinstance(s.get("article"), str):
                        bad(f"法条格式错误：{s!r}（须为 {{ law = \"劳动合同法\", article = \"第三十条\" }}）")
                        continue
                    law = short_law_name(s["law"])
                    article = s["article"].strip()
                    if law in REPEALED:
                        bad(f"引用了已废止的《{law}》（2021 年起由民法典取代）")
                    if not ARTICLE_RE.match(article):
                        bad(f"条号格式错误：{article!r}（须为中文数字，如 第八十二条）")
                    statutes.append(Statute(law, article))
            if len(problems) > before:
                continue
            seen[eid] = fname
            entries.append(Entry(
                id=eid, category=category, question=raw["question"].strip(), asks=asks or [],
                answer=answer.strip(), statutes=statutes, service=service, reviewer=raw["reviewer"].strip(),
                review_date=review, keywords=keywords or [], gist=gist.strip(), side=side,
                signoff_by=signoff_by, signoff_date=signoff_date, file=fname, line=line or 0,
            ))
    return KbLoad(entries, problems)


def check_kb(folder: Path) -> list[KbProblem]:
    """Every problem of the knowledge-base folder (empty list: all good)."""
    return load_kb(folder).problems


@dataclass
class SignoffRow:
    """One category's review state: entries in all, signed off by a lawyer, still awaiting one."""

    category: str
    label: str
    total: int = 0
    signed: int = 0
    awaiting: list[Entry] = field(default_factory=list)


def signoff_status(entries: list[Entry]) -> list[SignoffRow]:
    """Per category (in menu order), how many entries a lawyer has signed off and which still await it."""
    rows = {code: SignoffRow(code, label) for code, label in CATEGORIES.items()}
    for e in entries:
        row = rows.get(e.category)
        if row is None:
            continue
        row.total += 1
        if e.signoff_by:
            row.signed += 1
        else:
            row.awaiting.append(e)
    for row in rows.values():
        row.awaiting.sort(key=lambda e: (e.review_date or dt.date.min, e.id))
    return list(rows.values())
