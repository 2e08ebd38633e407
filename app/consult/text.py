"""Chinese text understanding: normalisation (dialect, misspellings, colloquial → canonical) and tokens.

Segmentation uses the process's one jieba tokenizer (``app.core.segment``, built at start-up); the
dictionary files live in ``app/consult/data`` (lexicon.txt: canonical = variants; stopwords.txt).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.core import segment

DATA_DIR = Path(__file__).parent / "data"
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_NOISE = re.compile(r"[\s\u3000,，.。!！?？;；:：、~～…\-—_\"'“”‘’()（）【】\[\]<>《》/\\|·]+")


@dataclass(frozen=True)
class Lexicon:
    """The synonym map: each variant → its canonical term, plus the stopwords."""

    variants: dict[str, str]
    canonicals: frozenset[str]
    stopwords: frozenset[str]
    pattern: re.Pattern[str] | None
    contexts: dict[str, Context] = field(default_factory=dict)  # variant → when it may be rewritten


@dataclass(frozen=True)
class Context:
    """A variant rewritten only in a context: one of ``need`` in the message (if any), none of ``avoid``."""

    need: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()

    def holds(self, text: str) -> bool:
        if self.need and not any(w in text for w in self.need):
            return False
        return not any(w in text for w in self.avoid)


def _split_variant(raw: str) -> tuple[str, Context | None]:
    """``老板跑路@工资/上班`` (only with one of these words), ``押金@!房东/租`` (never with these)."""
    v, _, ctx = raw.strip().lower().partition("@")
    if not ctx:
        return v.strip(), None
    need: list[str] = []
    avoid: list[str] = []
    for part in ctx.split(";"):
        part = part.strip()
        target = avoid if part.startswith("!") else need
        target.extend(w.strip() for w in part.lstrip("!").split("/") if w.strip())
    return v.strip(), Context(tuple(need), tuple(avoid))


def parse_contexts(text: str) -> dict[str, Context]:
    """The variants of ``parse_lexicon`` that carry a context (``variant@a/b`` or ``variant@!a/b``)."""
    out: dict[str, Context] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        for item in line.split("=", 1)[1].split("|"):
            v, ctx = _split_variant(item)
            if v and ctx is not None and v not in out:
                out[v] = ctx
    return out


def parse_lexicon(text: str) -> dict[str, str]:
    """``canonical = a | b | c`` lines → {variant: canonical}; the first definition of a variant wins.
    A variant may carry a context (``老板跑路@工资/上班``: rewritten only when one of these words is
    in the message; ``押金@!房东/租``: never when one of these is); ``parse_contexts`` reads it."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or "=" not in line:
            continue
        canon, rest = (p.strip() for p in line.split("=", 1))
        if not canon:
            continue
        for item in rest.split("|"):
            v, _ctx = _split_variant(item)
            if v and v != canon and v not in out:
                out[v] = canon
    return out


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    source = (DATA_DIR / "lexicon.txt").read_text(encoding="utf-8")
    variants = parse_lexicon(source)
    stop: set[str] = set()
    for raw in (DATA_DIR / "stopwords.txt").read_text(encoding="utf-8").splitlines():
        if raw.startswith("#"):
            continue
        stop.update(raw.split())
    # canonical terms map to themselves so that a longer canonical term is never cut by a variant
    mapping = {**{c: c for c in variants.values()}, **variants}
    keys = sorted(mapping, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None
    return Lexicon(mapping, frozenset(variants.values()), frozenset(stop), pattern, parse_contexts(source))


def clean(text: str) -> str:
    """Full-width to half-width, lower case, punctuation and runs of spaces to one space."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOISE.sub(" ", text).strip()


@lru_cache(maxsize=4096)
def normalise(text: str, *, fix_typos: bool = True) -> str:
    """Clean the text and replace every colloquial/dialect/misspelt variant by its canonical term
    (``fix_typos=False`` skips the homophone pass: for the knowledge base's own, reviewed text)."""
    lex = lexicon()
    text = clean(text)
    if lex.pattern is None:
        return text
    said = text  # contexts are judged on the resident's own words

    def rewrite(m: re.Match[str]) -> str:
        v = m.group(0)
        ctx = lex.contexts.get(v)
        return v if ctx is not None and not ctx.holds(said) else lex.variants[v]

    # a first replacement may complete a longer phrase (莫得钱请律师 → 没有钱请律师 → 法律援助); homophone
    # misspellings (工姿, 离昏, 申情) are fixed in between
    text = lex.pattern.sub(rewrite, text)
    if not fix_typos:
        return text
    text = fix_homophones(text)
    return lex.pattern.sub(rewrite, text)


def _fuzzy(syllable: str) -> str:
    """Pinyin folded for common accents and slips: zh/ch/sh → z/c/s, -ng after e/i → -n."""
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syllable.startswith(a):
            syllable = b + syllable[2:]
    if syllable.endswith(("eng", "ing")):
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=1)
def homophone_terms() -> dict[tuple[str, ...], str]:
    """Legal terms (2–4 characters) by folded pinyin; ambiguous readings are left out."""
    # function-level: pypinyin loads only when homophones are first needed; classify imports this module
    from pypinyin import lazy_pinyin

    from app.consult.classify import cues

    terms = set(lexicon().canonicals)
    for table in cues().values():
        terms.update(table)
    out: dict[tuple[str, ...], str] = {}
    clash: set[tuple[str, ...]] = set()
    for t in terms:
        if not (2 <= len(t) <= 4) or not _CJK.fullmatch(t):
            continue
        key = tuple(_fuzzy(p) for p in lazy_pinyin(t))
        if key in out and out[key] != t:
            clash.add(key)
        out[key] = t
    for key in clash:
        out.pop(key, None)
    return out


def fix_homophones(text: str) -> str:
    """Replace a misspelt legal term written with same-sounding characters (拖欠工姿 → 拖欠工资).

    Only characters that the segmenter leaves as single, unknown pieces are considered, so real
    words (公正, 形式) and word boundaries (女性是否) are never touched.
    """
    # function-level: pypinyin loads only when homophones are first needed
    from pypinyin import lazy_pinyin

    terms = homophone_terms()
    pieces = tokenizer().lcut(text, HMM=False)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        j = i
        while j < len(pieces) and len(pieces[j]) == 1 and _CJK.match(pieces[j]):
            j += 1
        if j - i < 2:
            out.append(pieces[i])
            i += 1
            continue
        run = "".join(pieces[i:j])
        keys = [_fuzzy(p) for p in lazy_pinyin(run)]
        k = 0
        fixed: list[str] = []
        while k < len(run):
            for n in (4, 3, 2):
                if k + n <= len(run) and (term := terms.get(tuple(keys[k:k + n]))) is not None:
                    fixed.append(term)
                    k += n
                    break
            else:
                fixed.append(run[k])
                k += 1
        out.append("".join(fixed))
        i = j
    return "".join(out)


def tokenizer() -> Any:
    """The process's jieba tokenizer (app.core.segment) with the lexicon's canonical terms added."""
    _teach_lexicon()
    return segment.segmenter()


@lru_cache(maxsize=1)
def _teach_lexicon() -> None:
    segment.add_words(lexicon().canonicals, freq=200000)


def add_words(words: list[str]) -> None:
    """Teach the segmenter domain words (knowledge-base keywords); cheap, may be called again."""
    segment.add_words(words)


def words(normalised: str) -> list[str]:
    """Segment normalised text into meaningful words (stopwords and single non-CJK chars dropped)."""
    stop = lexicon().stopwords
    out: list[str] = []
    for w in tokenizer().lcut(normalised, HMM=False):
        w = w.strip()
        if not w or w in stop:
            continue
        if len(w) == 1 and not _CJK.match(w):
            continue
        out.append(w)
    return out


def tokens(text: str, *, already_normalised: bool = False, fix_typos: bool = True) -> list[str]:
    """Retrieval tokens: the words, plus character bigrams ("~xy") of each CJK run for robustness."""
    norm = text if already_normalised else normalise(text, fix_typos=fix_typos)
    ws = words(norm)
    out = list(ws)
    stop = lexicon().stopwords
    for run in _CJK.findall(norm):
        for i in range(len(run) - 1):
            bg = run[i:i + 2]
            if bg not in stop:
                out.append("~" + bg)
    return out


# The frame around a question that carries no matter: greetings, "I want to ask", the writer's apologies
# for typing, "it's a long story", "urgent", "thanks", "waiting online". Residents (the elderly, voice
# input) open and close with it; in a character n-gram model it dilutes the question and tips near ties.
_FRAME_HEAD = re.compile(
    r"^(?:[\s,，.。!！?？:：、~～…]*(?:"
    r"喂+|(?:(?:同志|律师|领导|老师|大哥|大姐|工作人员|小姑娘|小伙子)们?)?(?:你们?好|您好)(?:啊|呀)?|(?:同志|律师|领导)(?=[\s,，!！:：])|"
    r"打扰(?:了|一下|您了)|在吗|在不在|急+|求助|求求你们?|"
    r"(?:我)?(?:想|要)?(?:问|咨询|请教)(?:一下|一哈|下|个事(?:情|儿)?|个问题|您|你)+(?:啊|哈)?|请问(?:一下)?|"
    r"(?:我)?跟(?:你|您)说(?:个事(?:情|儿)?)?(?:啊|哈)?|说来话长|(?:我们?家的?)?情况(?:比较|有点)?复杂|"
    r"(?:我)?不(?:太)?会打字|让(?:孙子|孙女|儿子|女儿|孩子|闺女)帮我(?:问问|打字|发)|就是|那个(?=[\s,，我])|嗯+|呃+|额+"
    r"))+(?=[\s,，.。!！?？:：、~～…]|$|[^\s])")
_FRAME_TAIL = re.compile(
    r"(?:[\s,，.。!！?？、~～…]*(?:谢谢(?:了|您|你|啦)?|麻烦(?:了|您了|你了)?|在线等|急+|拜托了|求回复|麻烦快点回复|"
    r"盼复|感谢))+[\s,，.。!！?？~～…]*$")


def strip_frame(text: str) -> str:
    """The question without its frame (see above); the text itself when little would be left."""
    core = _FRAME_TAIL.sub("", _FRAME_HEAD.sub("", text.strip(), count=1), count=1).strip(" ,，.。!！、~～…")
    return core if len(core) >= 6 else text
