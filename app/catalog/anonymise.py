"""The anonymisation check of the case library: a case is not published while its text holds a phone
number, an ID or bank card number, or a full personal name not replaced by a pseudonym (化名)."""

from __future__ import annotations

import threading
from typing import Any

import jieba.posseg

from app.core import pii_text, segment

# Common single-character surnames (百家姓, the ~130 most frequent) and the compound ones.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑"
    "景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
                               "司徒", "夏侯", "令狐", "端木", "南宫"})
# Forms of address that stand in for a name (王女士, 老周 is caught by its shape).
TITLES = ("女士", "先生", "师傅", "大爷", "奶奶", "爷爷", "阿姨", "大妈", "大叔", "大姐", "大哥", "老人", "老汉",
          "婆婆", "某", "律师", "法官", "调解员", "医生", "老师", "经理", "主任", "书记", "村长", "同学", "家")
# Words the tagger takes for names but are roles or terms of the legal text.
NOT_NAMES = frozenset({"申请人", "被申请人", "当事人", "法律援助", "法律顾问", "调解员", "公证员", "鉴定人",
                       "司法所", "石桥", "桃源", "云溪", "滨河", "望江", "锦绣", "新华", "梨花", "柳湾", "青山", "大坪"})

# Endings of places, bodies and legal terms the tagger may take for names (石桥镇, 仲裁庭, 安全法).
NOT_NAME_ENDINGS = tuple("镇村区县市省乡街路法庭院局所处委会站队组厂司店园湾山河")
COMMON_WORD_FREQ = 100  # a word this frequent in the dictionary is a word (文明, 高兴), not a name

_lock = threading.Lock()
_tagger: Any = None


def _pos() -> Any:
    """The part-of-speech tagger over the process's segmenter (built once; call off the event loop)."""
    global _tagger
    with _lock:
        if _tagger is None:
            _tagger = jieba.posseg.POSTokenizer(segment.segmenter())
        return _tagger


def _surname_len(word: str) -> int:
    if word[:2] in COMPOUND_SURNAMES:
        return 2
    return 1 if word[:1] in SURNAMES else 0


def names_in(text: str, *, pseudonyms: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Full personal names in ``text`` (surname + given name) that are not declared pseudonyms.

    Slow (part-of-speech tagging): run it in a thread.
    """
    tokens = [(w, f) for w, f in _pos().lcut(text)]
    found: list[str] = []
    allowed = {p for p in pseudonyms if p}
    for i, (word, flag) in enumerate(tokens):
        if not flag.startswith("nr"):
            continue
        name = word
        prev = tokens[i - 1][0] if i else ""
        # the tagger may split 张秀英 as 张 / 秀英: join a lone surname before a given name
        if _surname_len(name) == 0 and len(prev) == 1 and prev in SURNAMES and len(name) <= 2:
            name = prev + name
        after = "".join(w for w, _ in tokens[i + 1:i + 3])
        n = _surname_len(name)
        if (n == 0 or not 2 <= len(name) <= 4 or len(name) - n > 2 or "某" in name or name in NOT_NAMES
                or name in allowed or any(name.endswith(t) for t in TITLES) or after.startswith(TITLES)
                or name.endswith(NOT_NAME_ENDINGS) or (segment.segmenter().FREQ.get(name) or 0) >= COMMON_WORD_FREQ):
            continue
        if name not in found:
            found.append(name)
    return found


def problems(text: str, *, pseudonyms: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What stops publication, in Chinese (numbers shown masked); empty when the text may be published."""
    out = [f"含有{pii_text.KIND_ZH[f.kind]} {f.masked}，请删除或改为“某”" for f in pii_text.find(text)]
    out += [f"含有疑似真实姓名“{n}”，请改为化名（如“{n[0]}某”），或在化名列表中声明它是化名" for n in
            names_in(text, pseudonyms=pseudonyms)]
    return out
