"""Property-based tests (hypothesis) of the importers (issue 24 §7): whatever the files hold, the org
importer returns records and Chinese error lines, the statute parser returns a law; neither raises."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.laws.parse import cn_to_int, int_to_cn, parse_file
from app.org.importer import COLUMNS, parse_folder

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cell = st.one_of(st.text(max_size=40), st.sampled_from(["district", "township", "community", "d1", "t1", "c1",
                                                        "true", "false", "0", "91.5", "-200", "13800000000", ""]))


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


@FUZZ
@given(files=st.fixed_dictionaries({name: st.one_of(
    st.none(),
    st.binary(max_size=300),
    st.lists(st.lists(cell, max_size=12), max_size=8).map(
        lambda rows, n=name: _csv(COLUMNS[n][0] + COLUMNS[n][1], rows).encode("utf-8")),
) for name in COLUMNS}))
def test_org_import_of_any_files_reports_instead_of_raising(files: dict[str, bytes | None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            if data is not None:
                (folder / name).write_bytes(data)
        records, errors = parse_folder(folder)
    assert isinstance(records, dict) and isinstance(errors, list)
    assert all(isinstance(e, str) and e for e in errors)
    if files["units.csv"] is None:
        assert errors


@FUZZ
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from([
    "# 中华人民共和国劳动合同法", "# 第一编", "<!-- INFO END -->", "## 第一章 总则", "第一条 为了……",
    "第十条之一 ……", "第一千零七十九条 ……", "2012年12月28日修正", "第零条", "第条", "第一百一十一十条"])),
    max_size=30), st.sampled_from(["x.md", "劳动法_2018-12-29.md", "民法典(第一编).md", "2020-13-45.md"]))
def test_statute_parser_reads_any_file(lines: list[str], name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text("\n".join(lines), encoding="utf-8")
        law = parse_file(path)
    assert law.name
    keys = [(a.number, a.sub) for a in law.articles]
    assert len(keys) == len(set(keys)) and all(n > 0 for n, _ in keys)


@FUZZ
@given(st.integers(min_value=1, max_value=9999))
def test_article_numbers_read_back(n: int) -> None:
    assert cn_to_int(int_to_cn(n)) == n
