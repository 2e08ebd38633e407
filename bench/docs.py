"""docs/benchmarks.md: each bench owns one `## ` section, replaced in place by its latest figures."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def put_section(heading: str, block: str, doc: Path = DOC) -> None:
    """Replace the section that starts with the line ``heading`` (up to the next `## `) by ``block`` (which
    starts with that heading), or append it when the document has none yet."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    body = block.rstrip("\n") + "\n"
    pattern = re.compile(re.escape(heading) + r"\n.*?(?=\n## |\Z)", flags=re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: body, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    doc.write_text(text, encoding="utf-8")
