"""Clusters of matters about the same party or place (pure): many wage reports naming one employer or
site, many neighbour disputes in one building, however differently the residents put it.

A subject is read from the (masked) text by pattern: an organisation (a name before 公司/有限公司/工地/
项目部/厂/物业/酒店…, or before an industry word such as 建筑/劳务/装饰 that residents use as the name:
"在宏达建筑干活"), or a building (小区/花园/苑 + number + 号楼/栋/幢). The key keeps the name's core:
leading words of the sentence (我在、给、被…) and trailing industry words are cut, so 宏达建筑公司,
宏达建设工程有限公司 and 宏达公司 meet as 宏达. A heuristic: it finds names that carry a suffix, not
every way of naming an employer; docs/analytics.md."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_INDUSTRY = ("建筑工程", "建设工程", "建筑", "建设", "工程", "劳务", "装饰", "装修", "实业", "科技", "贸易", "物流",
             "电子", "服装", "食品", "餐饮", "房地产", "置业", "地产", "家政", "保安", "纺织", "机械", "汽车", "网络")
_ORG_SUFFIX = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "集团", "公司", "工地", "项目部", "施工队", "工程队",
               "建筑队", "包工队", "厂", "物业", "酒店", "饭店", "餐厅", "超市", "商场", "幼儿园", "培训机构", "诊所")
_ORG = re.compile(r"([\u4e00-\u9fa5A-Za-z]{2,14}?)(?:" + "|".join(_INDUSTRY) + r")*(?:"
                  + "|".join(_ORG_SUFFIX) + r")")
_ORG_BARE = re.compile(r"(?:在|给|帮|替|去|到)([\u4e00-\u9fa5]{2,4}?)(?:" + "|".join(_INDUSTRY[:8]) + r")"
                       r"(?:干|做|打工|上班|当)")
_BUILDING = re.compile(r"([\u4e00-\u9fa5]{2,8}?(?:小区|花园|家园|公寓|苑|新村))?\s*(\d{1,3})\s*(?:号楼|栋|幢)")
_LEAD = re.compile(r"^(?:我们?|俺|他们?|她|老公|老婆|儿子|女儿|父亲|母亲|爸爸|妈妈|之前|去年|今年|以前|一直|"
                   r"在|给|被|向|跟|从|到|去|的|是|了|和|与|对|帮|替|让|家|那个|这个|一家|一个|这家|那家|本地|当地)+")
_GENERIC = {"一家", "这家", "那家", "我们", "单位", "老板", "本地", "当地", "私人", "个人", "小", "大"}


def _core(name: str) -> str | None:
    name = _LEAD.sub("", name)
    for word in _INDUSTRY:
        if name.endswith(word) and len(name) > len(word) + 1:
            name = name[: -len(word)]
    if len(name) < 2 or name in _GENERIC:
        return None
    return name[-4:] if len(name) > 4 else name


def subjects(text: str) -> set[str]:
    """The parties and places a message names: 'org:宏达', 'building:幸福小区3号楼'."""
    out: set[str] = set()
    for m in _ORG.finditer(text):
        core = _core(m.group(1))
        if core:
            out.add(f"org:{core}")
    for m in _ORG_BARE.finditer(text):
        core = _core(m.group(1))
        if core:
            out.add(f"org:{core}")
    for m in _BUILDING.finditer(text):
        estate = _LEAD.sub("", m.group(1) or "")
        if estate:
            out.add(f"building:{estate}{m.group(2)}号楼")
    return out


@dataclass
class Cluster:
    township_code: str
    subject: str
    clients: set[str] = field(default_factory=set)
    rows: list[dict[str, Any]] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.subject.split(":", 1)[1]

    @property
    def category(self) -> str:
        return max(self.categories.items(), key=lambda kv: (kv[1], kv[0]))[0] if self.categories else ""


def find_clusters(rows: list[dict[str, Any]], *, min_residents: int) -> list[Cluster]:
    """Rows (question, township_code, client, category, …) grouped by township and subject; a cluster
    when at least ``min_residents`` different residents name the same subject."""
    groups: dict[tuple[str, str], Cluster] = {}
    for r in rows:
        township = str(r.get("township_code") or "")
        if not township:
            continue
        for s in subjects(str(r.get("question") or "")):
            c = groups.setdefault((township, s), Cluster(township, s))
            c.clients.add(str(r.get("client") or f"#{r.get('id')}"))
            c.rows.append(r)
            cat = str(r.get("category") or "")
            c.categories[cat] = c.categories.get(cat, 0) + 1
    found = [c for c in groups.values() if len(c.clients) >= min_residents]
    return sorted(found, key=lambda c: (-len(c.clients), c.township_code, c.subject))

