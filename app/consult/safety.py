"""The safety gate (danger to life or body: emergency guidance first) and the legal-aid green channel.

Two parts, combined so that no danger is missed: a phrase lexicon (data/safety_lexicon.txt: strong
phrases raise the alarm with the classifier's support, weak ones only with more of it, guards blank
out lookalikes such as 杀价 or 保护令) and character n-gram linear SVMs trained on the written corpus
(data/safety_examples.txt, data/safety_train.txt: danger and lookalikes, written by
tests/consult/safety_corpus.py; data/safety_dev.txt is held out) plus the knowledge base's own
questions as ordinary messages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from pypinyin import lazy_pinyin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from app.consult.intents import examples as intent_examples
from app.consult.text import DATA_DIR, clean
from app.consult.vectors import FastTfidf, decision

KINDS = ("self_harm", "violence", "confinement", "child", "emergency")
# Thresholds on the classifier's danger margin (> 0 reads as danger), chosen by 5-fold cross-validation
# over whole seeds of the training corpus for the best recall with at most 2 % false alarms there (the
# lexicon's guards were written from that same part, so cross-validation flatters them; the held-out
# dev part and the frozen set were never used to choose them). See docs/consult-quality.md.
SVM_C = 1.0
STRONG = 0.0  # a strong phrase raises the alarm unless the classifier reads an ordinary message
STRONG_PLAIN = -0.1  # ... or from here when the message is no question about the law and not settled (session 5:
# strong phrases in plain cries were vetoed at margins of -0.06 to -0.01; see docs/consult-quality.md)
WEAK = 0.125  # a weak phrase raises it from here
ALONE = 0.25  # the classifier alone raises it from here
LEGAL_ALONE = 0.5  # ... or from here for a message that reads as a question about the law
MAX_NEGATIVES = 10000
ALONE_MIN_CHARS = 6  # a few characters carry too few n-grams for the classifier to alarm on its own
# A question about the law rather than a cry for help (强奸罪判几年, 起火的车要赔吗): the classifier alone needs more.
_LEGAL_SHAPE = re.compile(r"罪|判(几|多|刑|轻|重)|追诉|赔偿|赔多少|要赔|谁赔|赔吗|赔不赔|理赔|保险|起诉|告他|合法吗|违法吗|犯法吗|"
                          r"要还吗|还吗|负责吗|负责不|要不要负责|担责|该不该赔|索赔|维权|能要(回(来)?)?吗|要得回(来)?吗|(能|可以|该|要)报警吗|投诉|花的钱|自首|坐牢|医药费|抚养权|离婚|律师|援助|立案|"
                          r"有效吗|规定|第几条|法律|法条|责任|能退|退款|收费|申请|办理|材料|手续|多少钱|"
                          r"算(不算)?(是)?(家暴|家庭暴力|违法|犯罪|恐吓|虐待|非法拘禁|故意伤害|猥亵|性骚扰)")

# A message that opens as a hypothetical or a general question (如果被家暴怎么取证) states no danger as fact.
_HYPOTHETICAL = re.compile(r"^(如果|假如|假设|万一|要是|若是|倘若|比如|请问如果|请问假如|请问要是)")

_ELDERLY = re.compile(r"老人|老年|年纪大|岁数大|[六七八九]十多岁|[6789]\d岁|退休|老大爷|老太|老奶奶|老爷爷|孤寡")
_DISABLED = re.compile(r"残疾|残障|残疾证|聋|哑|盲人|失明|瘫痪|截肢|智力障碍|精神障碍")
_MIGRANT = re.compile(r"农民工|民工|打工|工地|进城务工|务工|包工头|工头|建筑工")
_DV = re.compile(r"家暴|家庭暴力|打老婆|打媳妇|老公打|丈夫打|男人打我|被老公|被丈夫|老公.{0,6}打我|丈夫.{0,6}打我|"
                 r"打我妈|打我老婆|打我媳妇|婆婆.{0,4}打|公公.{0,4}打|前夫|男朋友.{0,6}打")
_MINOR = re.compile(r"未成年|孩子|娃|小孩|学生|小学|初中|高中|女儿|儿子|(我|他|她)(才|今年)?(十[一二三四五六七]?|1[0-7]|[6-9])岁")


@dataclass(frozen=True)
class Lexicon:
    strong: dict[str, re.Pattern[str]]
    weak: dict[str, re.Pattern[str]]
    certain: dict[str, re.Pattern[str]]
    guard: re.Pattern[str] | None
    pinyin_strong: re.Pattern[str] | None = None
    pinyin_weak: re.Pattern[str] | None = None
    calm: re.Pattern[str] | None = None
    # "!!" phrases: a danger to the writer or their family stated as fact (掐我脖子, 把我锁在屋里, 带了汽油);
    # they raise the alarm even when the message goes on to ask a legal question, unless it is settled
    background: dict[str, re.Pattern[str]] = field(default_factory=dict)


_MACRO = re.compile(r"^@([A-Z_]+)\s*=\s*(.+)$")
_USE = re.compile(r"\{([A-Z_]+)\}")


def parse_lexicon(text: str) -> Lexicon:
    """``[kind]`` sections of regular expressions; "~" marks a weak phrase, "!" a certain one (an
    intention or a state said outright: it raises the alarm unless the message is a question about the
    law or settled, whatever the classifier reads; in ``[pinyin]`` too), "!!" a certain one that holds
    even when a legal question follows (danger as the background: "他每次喝醉都掐我脖子，离婚孩子归谁");
    ``[guard]`` the lookalikes;
    ``[calm]`` what makes a message a report rather than a cry (past, settled, someone else's news).
    ``@NAME = regex`` defines a slot that later lines use as ``{NAME}`` (a pattern of meaning: who,
    an intention, an act), so one line covers the ways of saying it."""
    strong: dict[str, list[str]] = {k: [] for k in KINDS}
    weak: dict[str, list[str]] = {k: [] for k in KINDS}
    certain: dict[str, list[str]] = {k: [] for k in (*KINDS, "sounds_like")}
    background: dict[str, list[str]] = {k: [] for k in KINDS}
    guard: list[str] = []
    calm: list[str] = []
    macros: dict[str, str] = {}
    pinyin: dict[bool, list[str]] = {True: [], False: []}
    kind = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        macro = _MACRO.match(line)
        if macro:
            macros[macro.group(1)] = _USE.sub(lambda u: f"(?:{macros[u.group(1)]})", macro.group(2).strip())
            continue
        if line.startswith("[") and line.endswith("]"):
            kind = line[1:-1]
            if kind not in KINDS and kind not in ("guard", "pinyin", "calm"):
                raise ValueError(f"safety lexicon: unknown section {kind!r}")
            continue
        try:
            line = _USE.sub(lambda u: f"(?:{macros[u.group(1)]})", line)
        except KeyError as e:
            raise ValueError(f"safety lexicon: unknown slot {e} in {line!r}") from None
        if kind == "guard":
            guard.append(line)
        elif kind == "calm":
            calm.append(line)
        elif kind == "pinyin" and line.startswith("!"):
            certain["sounds_like"].append(line[1:].strip())
            pinyin[True].append(line[1:].strip())
        elif kind == "pinyin":
            pinyin[not line.startswith("~")].append(line.lstrip("~").strip())
        elif line.startswith("~"):
            weak[kind].append(line[1:].strip())
        elif line.startswith("!!"):
            background[kind].append(line[2:].strip())
            strong[kind].append(line[2:].strip())
        elif line.startswith("!"):
            certain[kind].append(line[1:].strip())
            strong[kind].append(line[1:].strip())
        else:
            strong[kind].append(line)

    def compile_all(table: dict[str, list[str]]) -> dict[str, re.Pattern[str]]:
        return {k: re.compile("|".join(f"(?:{p})" for p in v)) for k, v in table.items() if v}

    def one(lines: list[str]) -> re.Pattern[str] | None:
        return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in lines) + r")\b") if lines else None

    return Lexicon(compile_all(strong), compile_all(weak), compile_all(certain),
                   re.compile("|".join(f"(?:{p})" for p in guard)) if guard else None,
                   one(pinyin[True]), one(pinyin[False]),
                   re.compile("|".join(f"(?:{p})" for p in calm)) if calm else None,
                   compile_all(background))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return parse_lexicon((DATA_DIR / "safety_lexicon.txt").read_text(encoding="utf-8"))


TRAINING_FILES = ("safety_examples.txt", "safety_train.txt")  # safety_dev.txt is held out: never trained on


def examples(files: Iterable[str] = TRAINING_FILES) -> list[tuple[str, str]]:
    """(kind, text) training examples written for the classifier."""
    out = []
    for name in files:
        for raw in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#") or "\t" not in raw:
                continue
            kind, text = raw.split("\t", 1)
            out.append((kind.strip(), text.strip()))
    return out


def squeeze(text: str) -> str:
    return clean(text).replace(" ", "")


def phrase_hits(text: str) -> tuple[set[str], set[str]]:
    """(strong kinds, weak kinds) the lexicon finds in a squeezed text, lookalikes blanked out first."""
    lex = lexicon()
    t = lex.guard.sub("＿", text) if lex.guard is not None else text
    strong = {k for k, p in lex.strong.items() if p.search(t)}
    weak = {k for k, p in lex.weak.items() if p.search(t)} - strong
    if not strong and (lex.pinyin_strong is not None or lex.pinyin_weak is not None):
        spelled = _pinyin(t.replace("＿", " "))
        if lex.pinyin_strong is not None and lex.pinyin_strong.search(spelled):
            strong.add("sounds_like")
        elif lex.pinyin_weak is not None and lex.pinyin_weak.search(spelled):
            weak.add("sounds_like")
    return strong, weak


def background_hits(text: str) -> set[str]:
    """The kinds whose "!!" phrases (danger stated as fact, even before a legal question) a squeezed text
    says, lookalikes blanked out first; none in a hypothetical (如果被家暴…)."""
    lex = lexicon()
    if _HYPOTHETICAL.match(text):
        return set()
    t = lex.guard.sub("＿", text) if lex.guard is not None else text
    return {k for k, p in lex.background.items() if p.search(t)}


def certain_hits(text: str) -> set[str]:
    """The kinds whose certain ("!") phrases a squeezed text says outright, lookalikes blanked out first."""
    lex = lexicon()
    t = lex.guard.sub("＿", text) if lex.guard is not None else text
    out = {k for k, p in lex.certain.items() if k != "sounds_like" and p.search(t)}
    spelled_in = lex.certain.get("sounds_like")
    if not out and spelled_in is not None and spelled_in.search(_pinyin(t.replace("＿", " "))):
        out.add("sounds_like")
    return out


_PINYIN: dict[str, str] = {}
_LATIN = re.compile(r"[a-z]+")
# Toneless pinyin syllables (residents type "zisha", "tiao lou", "bu xiang huo le" on a phone).
_INITIALS = ("", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "zh", "ch", "sh", "r",
             "z", "c", "s", "y", "w")
_FINALS = ("a", "o", "e", "i", "u", "v", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "er", "ia",
           "ie", "iao", "iu", "ian", "in", "iang", "ing", "iong", "ua", "uo", "uai", "ui", "uan", "un", "uang",
           "ue", "ve")


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Initial + final combinations that are spelled syllables of some common character."""
    spelled = {initial + final for initial in _INITIALS for final in _FINALS}
    real = {(lazy_pinyin(chr(c)) or [""])[0] for c in range(0x4E00, 0x9FA6)}
    return frozenset(spelled & real)


def _spell_latin(run: str) -> list[str]:
    """A run of Latin letters as pinyin syllables when it spells them wholly (fewest syllables),
    else as it is ("zs", "ok": abbreviations stay one token)."""
    syl = _syllables()
    best: list[list[str] | None] = [[]] + [None] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(max(0, end - 6), end):
            prev = best[start]
            if prev is not None and run[start:end] in syl:
                cand = prev + [run[start:end]]
                if best[end] is None or len(cand) < len(best[end] or []):
                    best[end] = cand
    return best[len(run)] or [run]


def _pinyin(text: str) -> str:
    """Toneless pinyin, one syllable per character (cached per character: a message costs lookups);
    Latin letters typed as pinyin ("zisha", "tiaolou") split into their syllables."""
    out: list[str] = []
    pos = 0
    for m in _LATIN.finditer(text):
        out += _pinyin_chars(text[pos:m.start()])
        out += _spell_latin(m.group())
        pos = m.end()
    out += _pinyin_chars(text[pos:])
    return " ".join(out)


def _pinyin_chars(text: str) -> list[str]:
    out = []
    for ch in text:
        py = _PINYIN.get(ch)
        if py is None:
            py = _PINYIN[ch] = (lazy_pinyin(ch) or [ch])[0].strip().lower()
        if py:
            out.append(py)
    return out


class Classifier:
    """Character 1–3-gram TF-IDF; a linear SVM for danger against ordinary messages (its margin is
    the score) and one for the kind of danger, trained on the danger examples only."""

    def __init__(self, negatives: Iterable[str] = ()) -> None:
        data = examples()
        data += [("none", t) for _n, t in intent_examples()]
        texts = [squeeze(t) for _k, t in data]
        labels = [k for k, _t in data]
        # the knowledge base's questions are ordinary messages, except those that name a danger phrase
        # (some describe danger: "有人威胁我要杀我"); they are left out rather than taught as ordinary
        extra = sorted({t for t in map(squeeze, negatives) if not any(phrase_hits(t))} - set(texts))[:MAX_NEGATIVES]
        texts += extra
        labels += ["none"] * len(extra)
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1,
                                          dtype=np.float32)
        x = self.vectorizer.fit_transform(texts)
        y = np.array([k != "none" for k in labels])
        danger = LinearSVC(C=SVM_C, class_weight="balanced")
        danger.fit(x, y)
        kind = LinearSVC(C=SVM_C, class_weight="balanced")
        named = np.flatnonzero([k in KINDS for k in labels])  # the earlier samples say only "danger"
        kind.fit(x[named], [labels[i] for i in named])
        self.fast = FastTfidf(self.vectorizer)
        self.kinds: list[str] = [str(c) for c in kind.classes_]
        self.coef = np.ascontiguousarray(np.vstack([danger.coef_, kind.coef_]), dtype=np.float32)
        self.intercept = np.concatenate([danger.intercept_, kind.intercept_]).astype(np.float32)

    def margin(self, squeezed: str) -> tuple[float, str]:
        """(the danger margin: > 0 reads as danger, the kind of danger it reads most like)."""
        idx, val = self.fast.vector(squeezed)
        d = decision(self.coef, self.intercept, idx, val)
        return float(d[0]), self.kinds[int(d[1:].argmax())]


@dataclass(frozen=True)
class Danger:
    kinds: frozenset[str]
    domestic: bool = False
    minor: bool = False
    score: float = 1.0
    why: tuple[str, ...] = field(default_factory=tuple)

    @property
    def suicide(self) -> bool:
        return "self_harm" in self.kinds

    def guidance(self) -> str:
        """The emergency lines, first and alone (Chinese)."""
        lines = ["【紧急提示】如果您或家人现在有危险，请立即拨打 110 报警；有人受伤或病危请拨打 120 急救"
                 + ("；着火、燃气泄漏、被困请拨打 119" if "emergency" in self.kinds else "") + "。"]
        if self.suicide:
            lines.append("如果您现在很难受、有轻生的念头，请拨打 12356 心理援助热线，或马上告诉身边信任的人，"
                         "不要一个人待着。您不是一个人。")
        if self.domestic or ("violence" in self.kinds and not self.minor):
            lines.append("遭受家庭暴力可拨打 12338 妇女维权热线，先到安全的地方，报警后可要求出具告诫书，"
                         "也可向法院申请人身安全保护令。")
        if self.minor or "child" in self.kinds:
            lines.append("涉及未成年人的，请拨打 12355 青少年服务热线，或直接报警。")
        if "confinement" in self.kinds:
            lines.append("被限制自由时，能打电话就直接拨 110，也可发短信到 12110 报警，说清楚位置。")
        lines.append("我们已把您的情况转给工作人员优先处理。")
        return "\n".join(lines)


class SafetyGate:
    """The lexicon and the classifier together; ``check`` is the only entry point."""

    def __init__(self, negatives: Iterable[str] = ()) -> None:
        self.classifier = Classifier(negatives)
        _syllables()  # built once here, not on the first message

    def score(self, text: str) -> tuple[float, str]:
        """(the classifier's danger margin, its kind) for a message."""
        return self.classifier.margin(squeeze(text))

    def check(self, text: str) -> Danger | None:
        t = squeeze(text)
        if not t:
            return None
        strong, weak = phrase_hits(t)
        m, kind = self.score(text)
        calm = lexicon().calm
        settled = bool(calm is not None and calm.search(t))  # past, resolved, someone else's news
        legal = settled or bool(_LEGAL_SHAPE.search(t) or _HYPOTHETICAL.match(t))
        kinds: set[str] = set()
        # a question about the law still has the alarm when it states a danger as fact ("!!"), unless settled
        certain = set() if settled else background_hits(t) | (set() if legal else certain_hits(t))
        if certain:
            kinds |= certain
        elif strong and m >= (STRONG if legal else STRONG_PLAIN):
            kinds |= strong
        elif weak and m >= WEAK:  # a settled message keeps this: safety first, the classifier has seen both
            kinds |= weak
        elif len(t) >= ALONE_MIN_CHARS and m >= (LEGAL_ALONE if legal else ALONE):
            kinds.add(kind)
        if "sounds_like" in kinds:  # a misspelt phrase: the classifier names the kind
            kinds.discard("sounds_like")
            kinds.add(kind)
        if not kinds:
            return None
        return Danger(frozenset(kinds), domestic=bool(_DV.search(t)), minor=bool(_MINOR.search(t)),
                      score=round(1.0 / (1.0 + float(np.exp(-2.0 * m))), 3), why=tuple(sorted(strong | weak)))


_gate: SafetyGate | None = None
_gate_lock = threading.Lock()


def gate(negatives: Iterable[str] | None = None) -> SafetyGate:
    """The process's gate (built once; the engine passes the knowledge base's questions as negatives)."""
    global _gate
    if _gate is not None and negatives is None:
        return _gate
    with _gate_lock:
        if _gate is None or negatives is not None:
            _gate = SafetyGate(negatives or ())
        return _gate


def detect_danger(text: str) -> Danger | None:
    """Danger to life or body in a message, or None (the loaded engine's gate; blocking if none yet)."""
    # function-level: the engine builds the gate (engine imports this module)
    from app.consult.engine import get_engine

    return get_engine().gate.check(text)


# Categories where legal aid commonly applies (法律援助法 第三十一条、第三十二条).
AID_CATEGORIES = frozenset({"labor", "marriage_family", "inheritance", "traffic", "medical", "tort_neighbour",
                            "administrative", "legal_aid", "criminal", "debt_contract", "property_land"})
# Whose side gets the legal-aid note: not the one who caused the harm or owes the duty.
NO_AID_SIDES = frozenset({"offender", "employer", "landlord", "business", "seller", "official", "borrower"})


def green_channel(text: str, category: str, *, side: str = "any") -> str | None:
    """The legal-aid green-channel note for a resident of a special group claiming a right.

    Never for the side that caused the harm or owes the duty (the rider who hit a pedestrian, a
    child refusing to support a parent): ``side`` is the resident's side as understood.
    """
    if side in NO_AID_SIDES:
        return None
    t = squeeze(text)
    notes: list[str] = []
    if _MIGRANT.search(t) and category in ("labor", "legal_aid"):
        notes.append("农民工讨要工资、工伤赔偿，免予核查经济困难状况"
                     "（《法律援助法》第四十二条、《保障农民工工资支付条例》第四十五条）")
    if _DV.search(t) and category in ("marriage_family", "legal_aid", "criminal"):
        notes.append("家庭暴力受害人主张相关权益，不受经济困难条件限制（《法律援助法》第三十二条）")
    if category in AID_CATEGORIES and side != "child":
        if _ELDERLY.search(t):
            notes.append("经济困难的老年人可申请法律援助，并享受优先、上门等便利（《法律援助法》第四十五条）")
        if _DISABLED.search(t):
            notes.append("经济困难的残疾人可申请法律援助，并享受无障碍和优先服务（《法律援助法》第四十五条）")
    if not notes:
        return None
    return "【法律援助绿色通道】" + "；".join(dict.fromkeys(notes)) + "。可拨打 12348 申请。"


def snapshot(text: str) -> dict[str, Any]:
    """What the gate saw (for the evaluation report): phrases, probability."""
    t = squeeze(text)
    strong, weak = phrase_hits(t)
    m, kind = gate().score(text)
    return {"strong": sorted(strong), "weak": sorted(weak), "margin": round(m, 3), "kind": kind}
