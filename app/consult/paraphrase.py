"""Training paraphrases: written by people (data/paraphrases/*.toml) and generated from the knowledge
base itself (never from an evaluation set).

Written paraphrases are what residents say, per entry, in their own words (elderly, dialect, typos,
long stories, two issues in one, no legal words); one in HOLDOUT of them (chosen by a hash of the
text) is never trained on and measures the model (``python -m tests.consult.evaluate``).
Generated ones vary each entry's question, asks and keywords the ways residents write: dialect and
colloquial words (the lexicon read backwards), same-sounding misspellings, voice-input fillers,
rambling context, a second clause, bare keywords. Deterministic (seeded by the entry id).
"""

from __future__ import annotations

import random
import tomllib
import zlib
from collections import defaultdict
from functools import lru_cache

from pypinyin import lazy_pinyin

from app.consult.kb import Entry
from app.consult.text import DATA_DIR, parse_lexicon

PREFIXES = ["", "", "请问", "你好，", "想问一下", "咨询一下", "嗯那个", "我想问问", "俺想问", "麻烦问下",
            "律师您好，", "同志，", "问个事，", "急！", "帮帮忙，"]
SUFFIXES = ["", "", "怎么办", "咋办", "咋整", "怎么弄", "该找谁", "能要回来吗", "合法吗", "吗", "？", "啊",
            "，急", "，谢谢", "，该咋弄", "有什么办法", "要怎么处理"]
CONTEXT = ["我是农村的，", "我今年六十多了，", "家里出了点事，", "说来话长，", "事情是这样的，", "我在外地打工，",
           "我朋友让我问问，", "我们村有个事，", "我家亲戚遇到个事，", "不好意思打扰，", "我不太懂法，",
           "我文化不高，说不清楚，", "去年的事了，", "最近很烦，"]
TRAILERS = ["，我该怎么办才好", "，现在心里很着急", "，有没有什么办法", "，找谁都不管", "，法律上怎么说",
            "，是不是只能认了", "，求指点"]
FILLERS = ["那个", "就是", "然后", "嗯", "就是说", "这个"]
PARAPHRASE_DIR = DATA_DIR / "paraphrases"
HOLDOUT = 5  # one written paraphrase in five is held out (never trained on)


def held_out(text: str) -> bool:
    """Whether a written paraphrase belongs to the held-out part (stable: a hash of its text)."""
    return zlib.crc32(text.strip().encode("utf-8")) % HOLDOUT == 0


@lru_cache(maxsize=1)
def written() -> dict[str, tuple[str, ...]]:
    """Entry id → the paraphrases people wrote for it (both parts), from data/paraphrases/*.toml
    (``entry-id = ["…", "…"]``)."""
    out: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PARAPHRASE_DIR.glob("*.toml")):
        for entry_id, texts in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(texts, list):
                out[entry_id].extend(str(t).strip() for t in texts if str(t).strip())
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def written_for(entry_id: str) -> list[str]:
    """The written paraphrases of an entry that the model trains on (the held-out part left out)."""
    return [t for t in written().get(entry_id, ()) if not held_out(t)]


@lru_cache(maxsize=1)
def colloquial() -> dict[str, list[str]]:
    """canonical term → the colloquial/dialect variants residents write (lexicon.txt read backwards)."""
    out: dict[str, list[str]] = defaultdict(list)
    for variant, canon in parse_lexicon((DATA_DIR / "lexicon.txt").read_text(encoding="utf-8")).items():
        if len(variant) >= 2:
            out[canon].append(variant)
    return dict(out)


@lru_cache(maxsize=1)
def homophones() -> dict[str, list[str]]:
    """A character → common characters with the same toneless pinyin (for misspellings)."""
    common = ("工资钱款费房地车事人家老板公司单位合同离婚孩子父母赔偿法律律师借还欠打伤医院病保险交通"
              "邻居村委会政府申请办理怎么要给不能可以没有是的了吗我他她你们这那里说问题请帮忙")
    by: dict[str, list[str]] = defaultdict(list)
    for ch in dict.fromkeys(common):
        by[lazy_pinyin(ch)[0]].append(ch)
    extra = {"资": "姿滋", "婚": "昏荤", "赔": "陪培", "偿": "尝常", "律": "率绿", "欠": "歉", "债": "寨",
             "款": "宽", "赡": "善", "养": "样", "抚": "扶", "继": "既记", "承": "成城", "遗": "移", "嘱": "祝",
             "诉": "速", "讼": "送", "仲": "中", "裁": "才财", "伤": "商", "辞": "词", "退": "推"}
    out = {ch: [c for c in by[lazy_pinyin(ch)[0]] if c != ch] for ch in common}
    for ch, alts in extra.items():
        out[ch] = list(dict.fromkeys([*out.get(ch, []), *alts]))
    return {k: v for k, v in out.items() if v}


def _dialect(text: str, rng: random.Random) -> str:
    table = colloquial()
    hits = [c for c in table if c in text]
    rng.shuffle(hits)
    for canon in hits[:2]:
        text = text.replace(canon, rng.choice(table[canon]), 1)
    return text


def _typo(text: str, rng: random.Random) -> str:
    table = homophones()
    spots = [i for i, ch in enumerate(text) if ch in table]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + rng.choice(table[text[i]]) + text[i + 1:]


def _voice(text: str, rng: random.Random) -> str:
    cut = rng.randrange(1, max(2, len(text)))
    return f"{rng.choice(FILLERS)}{text[:cut]}{rng.choice(FILLERS)}{text[cut:]}"


def _strip(text: str) -> str:
    return text.strip().rstrip("？?。！!")


def variants(entry: Entry, *, per_source: int = 4, others: list[Entry] | None = None) -> list[str]:
    """Generated ways of asking this entry's question (its own texts included first)."""
    rng = random.Random(zlib.crc32(entry.id.encode("utf-8")))
    sources = [_strip(entry.question), *(_strip(a) for a in entry.asks)]
    out = list(dict.fromkeys(s for s in sources if s))
    for src in list(out):
        for k in range(per_source):
            kind = (k + rng.randrange(6)) % 6
            t = src
            if kind == 0:
                t = rng.choice(PREFIXES) + _dialect(t, rng) + rng.choice(SUFFIXES)
            elif kind == 1:
                t = _typo(_dialect(t, rng), rng) + rng.choice(SUFFIXES)
            elif kind == 2:
                t = _voice(t, rng)
            elif kind == 3:
                t = rng.choice(CONTEXT) + t + rng.choice(TRAILERS)
            elif kind == 4:
                t = rng.choice(PREFIXES) + _typo(t, rng)
            else:
                t = rng.choice(CONTEXT) + _dialect(t, rng) + rng.choice(SUFFIXES)
            out.append(t)
    for t in written_for(entry.id):  # residents' own words, also misspelt or with dialect words
        out.append(t)
        out.append(_typo(_dialect(t, rng), rng))
    if entry.keywords:
        for _ in range(2):
            kws = rng.sample(entry.keywords, min(len(entry.keywords), rng.randint(1, 3)))
            out.append(" ".join(kws) + rng.choice(SUFFIXES))
    if others:  # a second, unrelated clause: the entry must still win on its own words
        other = rng.choice(others)
        if other.category != entry.category and other.asks:
            out.append(f"{rng.choice(sources)}，另外顺便问下{rng.choice(other.asks)}")
    return list(dict.fromkeys(out))
