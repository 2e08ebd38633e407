"""Personal numbers typed in free text (phone, resident ID, bank card): the one detector.

Residents write numbers every way a keyboard allows: 138.1234.5678, 138 1234 5678, full-width
１３８１２３４５６７８, +86 prefixes, IDs in groups, 15-digit IDs of the first generation. The
detector reads digits through any of these, classifies what it finds, and gives spans of the
original text, so the log masker and the storage of messages (masked text, original encrypted
beside it: ``protect`` / ``reveal``) agree on what is personal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from app.core import pii

# A run of digit groups: digits (and a final X of an ID) joined by at most two separator characters
# (space, hyphen, dot, middle dot, underscore, slash), read after full-width forms are folded.
_RUN = re.compile(r"(?<![0-9])\+?[0-9]+(?:[ \-.·_/]{1,2}[0-9]+)*(?:[ \-.·_/]{0,2}[Xx])?(?![0-9])")
_LONGEST = 21  # digits of the longest number looked for (+86 and a phone; a 19-digit card)
_GROUP = re.compile(r"[0-9]+[Xx]?|[Xx]")  # a final X may stand apart ("…418 X")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
KINDS = ("phone", "id_number", "bank_card")
KIND_ZH = {"phone": "手机号", "id_number": "身份证号", "bank_card": "银行卡号"}


@dataclass(frozen=True)
class Found:
    """One personal number in a text: its kind, where it is, and its normalised value."""

    kind: str
    start: int
    end: int
    value: str

    @property
    def masked(self) -> str:
        return mask(self.kind, self.value)


def _fold(text: str) -> str:
    """Full-width digits, letters and separators to ASCII, one character for one (spans stay valid)."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        n = unicodedata.normalize("NFKC", ch)
        if ch == "\u3000":
            n = " "
        elif ch in "－—‐‑–":
            n = "-"
        elif ch in "．。":
            n = "." if ch == "．" else ch
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def _date_ok(yyyymmdd: str) -> bool:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def classify(value: str) -> str | None:
    """The kind of a number with separators removed (upper-case X), or None."""
    v = value[1:] if value.startswith("+") else value
    if v.isdigit() and len(v) == 11 and v[0] == "1" and v[1] in "3456789":
        return "phone"
    if v.isdigit() and len(v) == 13 and v.startswith("861") and v[3] in "3456789":
        return "phone"
    if value.startswith("+"):
        return None
    if len(v) == 18 and v[:17].isdigit() and (v[17].isdigit() or v[17] == "X") and _date_ok(v[6:14]):
        check = _ID_CHECK[sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS, strict=True)) % 11]
        if check == v[17] or not _luhn(v):  # a wrong check digit is still an ID typed wrong, unless a card
            return "id_number"
    if len(v) == 15 and v.isdigit() and _date_ok("19" + v[6:12]):
        return "id_number"
    if v.isdigit() and 16 <= len(v) <= 19 and v[0] in "345689" and _luhn(v):  # card networks; not MsgIds (2…)
        return "bank_card"
    return None


def normalize(kind: str, value: str) -> str:
    v = value.lstrip("+")
    if kind == "phone" and len(v) == 13:
        v = v[2:]
    return v.upper()


def find(text: str) -> list[Found]:
    """Every personal number in ``text``, left to right, spans in the original text."""
    if not text:
        return []
    folded = _fold(text)
    out: list[Found] = []
    for run in _RUN.finditer(folded):
        base = run.start()
        groups = [(g.start() + base, g.end() + base, g.group().upper()) for g in _GROUP.finditer(run.group())]
        plus = run.group().startswith("+")
        i = 0
        while i < len(groups):
            hit = None
            joined = "+" if plus and i == 0 else ""
            # the longest stretch of whole groups starting here that reads as a personal number
            for j in range(i, len(groups)):
                joined += groups[j][2]
                if len(joined) > _LONGEST + 1:
                    break
                kind = classify(joined)
                if kind:
                    hit = (j, kind, joined, groups[j][1])
                elif joined.endswith("X") and classify(joined[:-1]):  # a phone followed by a letter x
                    end = groups[j - 1][1] if groups[j][2] == "X" else groups[j][1] - 1
                    hit = (j, classify(joined[:-1]) or "", joined[:-1], end)
            if hit is None:
                i += 1
                continue
            j, kind, value, end = hit
            out.append(Found(kind, groups[i][0] - (1 if joined.startswith("+") and i == 0 else 0), end,
                             normalize(kind, value)))
            i = j + 1
    return out


def mask(kind: str, value: str) -> str:
    if kind == "phone":
        return pii.mask_phone(value)
    if kind == "id_number":
        return value[:6] + "******" + value[-3:] if len(value) == 15 else pii.mask_id_number(value)
    return value[:4] + "****" + value[-4:]


def mask_text(text: str) -> str:
    """The text with every personal number masked (138****5678, 110105********002X, 6222****1234)."""
    found = find(text)
    if not found:
        return text
    parts, last = [], 0
    for f in found:
        parts += [text[last:f.start], f.masked]
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def kinds_in(text: str) -> list[str]:
    return sorted({f.kind for f in find(text)})


# ---- storage: masked text in the column, the original encrypted beside it ----

def protect(text: str | None) -> tuple[str | None, str | None]:
    """(text to store, encrypted original or None). The stored text is masked when it held a
    personal number; the original is kept only encrypted (app.core.pii)."""
    if not text:
        return text, None
    masked = mask_text(text)
    if masked == text:
        return text, None
    return masked, pii.encrypt(text)


def protect_fields(fields: dict[str, object]) -> tuple[dict[str, object], str | None]:
    """The same for a dict of parsed message fields (string values masked, originals encrypted)."""
    masked = {k: (mask_text(v) if isinstance(v, str) else v) for k, v in fields.items()}
    if masked == fields:
        return fields, None
    return masked, pii.encrypt(json.dumps(fields, ensure_ascii=False))


def reveal(stored: str | None, enc: str | None) -> str | None:
    """The original text (the stored one when nothing was masked)."""
    return pii.decrypt(enc) if enc else stored


def reveal_fields(stored: dict[str, object], enc: str | None) -> dict[str, object]:
    return json.loads(pii.decrypt(enc)) if enc else stored
