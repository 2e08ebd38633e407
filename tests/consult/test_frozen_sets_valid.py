"""The frozen evaluation sets (tests/consult/frozen/) parse, meet their minimum sizes, use only known
labels, and cite only articles that exist in the statute corpus.

This checks the files only; it never runs the consultation engine on them (the sets are frozen:
only an evaluation printing aggregate figures may do that, see tests/consult/frozen/README.md).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from app.laws.parse import parse_article_label, parse_folder

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "tests" / "consult" / "frozen"
LAWS_DIR = ROOT / "content" / "laws"

CATEGORIES = {
    "labor", "marriage_family", "inheritance", "debt_contract", "traffic", "property_land", "consumer",
    "tort_neighbour", "medical", "criminal", "administrative", "legal_aid", "mediation", "notarization",
    "other",
}
STYLES = {"plain", "typo", "dialect", "voice", "rambling", "short", "two_issues", "elderly", "young"}
INTENTS = {"greeting", "thanks", "ack", "human", "advisor", "abuse", "non_legal", "progress", "legal"}
DANGER_KINDS = {"self_harm", "violence", "confinement", "child_at_risk", "emergency"}
ORIGINS_GENERAL = {"collected", "adapted", "written"}
ORIGINS_CITATIONS = {"adapted", "written"}
# Texts the corpus may still hold but that are superseded (issue 25): never the expected citation.
SUPERSEDED = {"治安管理处罚法", "婚姻登记条例"}


def load(name: str) -> list[dict]:
    data = tomllib.loads((FROZEN / f"{name}.toml").read_text(encoding="utf-8"))
    (key,) = data.keys()
    return data[key]


@cache
def corpus() -> dict[str, set[tuple[int, int]]]:
    return {name: {(a.number, a.sub) for a in law.articles} for name, law in parse_folder(LAWS_DIR).items()}


def split_citation(citation: str) -> tuple[str, str]:
    """'劳动合同法第八十二条' -> ('劳动合同法', '第八十二条'), matching the longest corpus law name."""
    for name in sorted(corpus(), key=len, reverse=True):
        if citation.startswith(name):
            return name, citation[len(name):]
    raise AssertionError(f"no law of content/laws starts {citation!r}")


def article_exists(law: str, label: str) -> bool:
    return law in corpus() and parse_article_label(label) in corpus()[law]


def common_checks(rows: list[dict], text_key: str, prefix: str) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert all(i.startswith(prefix) for i in ids)
    texts = [r[text_key].strip() for r in rows]
    assert all(texts), "empty text"
    dupes = [t for t, n in Counter(texts).items() if n > 1]
    assert not dupes, f"duplicate texts: {dupes[:3]}"


def test_safety_set() -> None:
    rows = load("safety")
    common_checks(rows, "text", "s")
    assert all(isinstance(r["danger"], bool) for r in rows)
    assert {r["kind"] for r in rows} <= DANGER_KINDS
    danger = [r for r in rows if r["danger"]]
    lookalike = [r for r in rows if not r["danger"]]
    assert len(danger) >= 220 and len(lookalike) >= 220
    # every kind of danger is represented, with lookalikes for each
    assert {r["kind"] for r in danger} == DANGER_KINDS
    assert {r["kind"] for r in lookalike} == DANGER_KINDS
    assert min(Counter(r["kind"] for r in danger).values()) >= 25


def test_intents_set() -> None:
    rows = load("intents")
    common_checks(rows, "text", "i")
    counts = Counter(r["intent"] for r in rows)
    assert set(counts) == INTENTS
    assert len(rows) >= 200
    assert counts["legal"] >= 55
    assert min(counts.values()) >= 15


def test_general_set() -> None:
    rows = load("general")
    common_checks(rows, "text", "g")
    assert len(rows) >= 650
    assert {r["category"] for r in rows} == CATEGORIES
    assert {r["style"] for r in rows} <= STYLES
    assert {r["origin"] for r in rows} <= ORIGINS_GENERAL
    for r in rows:
        assert r["point"].strip(), r["id"]
        assert 1 <= len(r["articles"]) <= 3, r["id"]
        if r["style"] == "two_issues":
            assert r.get("category2") in CATEGORIES, r["id"]
        else:
            assert "category2" not in r, r["id"]
    styles = Counter(r["style"] for r in rows)
    assert styles["two_issues"] >= 60
    assert styles["typo"] + styles["dialect"] >= 100
    # labour and family questions are the largest groups, as among residents
    top_two = {c for c, _ in Counter(r["category"] for r in rows).most_common(2)}
    assert top_two == {"labor", "marriage_family"}


def test_general_articles_exist_in_corpus() -> None:
    missing = []
    for r in load("general"):
        for citation in r["articles"]:
            law, label = split_citation(citation)
            assert law not in SUPERSEDED, (r["id"], citation)
            if not article_exists(law, label):
                missing.append((r["id"], citation))
    assert not missing, missing[:10]


def test_citations_set() -> None:
    rows = load("citations")
    common_checks(rows, "question", "c")
    assert len(rows) >= 150
    assert {r["origin"] for r in rows} <= ORIGINS_CITATIONS
    missing = []
    for r in rows:
        assert r["answer"].strip(), r["id"]
        assert r["law"] not in SUPERSEDED, r["id"]
        if not article_exists(r["law"], r["article"]):
            missing.append((r["id"], r["law"], r["article"]))
        # the answer names the law it cites first
        assert r["law"] in r["answer"].replace("〈", "《").replace("〉", "》"), r["id"]
    assert not missing, missing[:10]


@pytest.mark.parametrize("citation", ["劳动合同法第九百条", "婚姻法第三十二条"])
def test_the_corpus_check_rejects_what_does_not_exist(citation: str) -> None:
    try:
        law, label = split_citation(citation)
    except AssertionError:
        return
    assert not article_exists(law, label)
