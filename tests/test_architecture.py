"""The layout rules of app/README.md, checked on the source: dependencies point one way."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
BASE = {"core", "org", "matrix", "residents", "staff"}
ENGINE = {"jobs", "wechat"}
FEATURES = {"boards", "consult", "laws", "cases"}
# Assembly layers may import anything.
TOP = {"console", "emulator", "mp_api", "portal", "ops", "wiring", "main", "cli", "asgi", "web", "db", "config",
       "errors", "migrations"}
# What a sibling feature domain may use of another one.
PUBLIC = {"service", "errors"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.count(".") >= 2:
                out.append((node.lineno, node.module))
            else:  # from app.cases import service
                out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(n, m) for n, m in out if m.startswith("app.")]


def domain_of(path: Path) -> str:
    rel = path.relative_to(APP)
    return rel.parts[0].removesuffix(".py")


def test_dependencies_point_down() -> None:
    problems = []
    for path in APP.rglob("*.py"):
        me = domain_of(path)
        for line, mod in imports_of(path):
            parts = mod.split(".")
            target = parts[1]
            if target == me or me in TOP:
                continue
            where = f"{path.relative_to(APP.parent)}:{line} imports {mod}"
            if me in BASE and (target in FEATURES | ENGINE or target in {"console", "emulator"}):
                if not (me == "core" and target in ()):
                    problems.append(where + " (a base domain must not depend on engine or feature domains)")
            if me in ENGINE and target in FEATURES | {"console"}:
                problems.append(where + " (the engine must not depend on feature domains)")
            if me in FEATURES and target in FEATURES:
                sub = parts[2] if len(parts) > 2 else ""
                if sub not in PUBLIC:
                    problems.append(where + " (sibling domains meet only through service.py)")
    assert problems == [], "\n".join(sorted(set(problems)))


def test_services_do_not_import_fastapi() -> None:
    offenders = []
    for path in APP.rglob("service.py"):
        for line, mod in [(n, m) for n, m in _all_imports(path)]:
            if mod.split(".")[0] in ("fastapi", "starlette"):
                offenders.append(f"{path.relative_to(APP.parent)}:{line}")
    assert offenders == []


def test_no_blocking_calls_in_app() -> None:
    offenders = []
    for path in APP.rglob("*.py"):
        if "emulator" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for i, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line.startswith(("import requests", "from requests")) or "time.sleep(" in line:
                offenders.append(f"{path.relative_to(APP.parent)}:{i}: {line}")
    assert offenders == []


def test_model_docstrings_survive_sqlite_migrations() -> None:
    """tortoise writes a model docstring as the table comment: a semicolon or quote breaks SQLite migrations."""
    offenders = []
    for path in APP.rglob("*models.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                doc = ast.get_docstring(node) or ""
                first = doc.split("\n\n")[0]
                if ";" in first or "'" in first:
                    offenders.append(f"{path.relative_to(APP.parent)}: {node.name}")
    assert offenders == []


def _all_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def test_every_broad_except_is_counted() -> None:
    """An ``except Exception`` (or bare/BaseException) that survives must call ``metrics.caught`` (one
    helper: counted in fawu_errors_logged_total and logged) or re-raise; nothing swallowed silently."""
    offenders = []
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ExceptHandler):
                continue
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} if node.type else {"bare"}
            if not names & {"Exception", "BaseException", "bare"}:
                continue
            body = ast.Module(body=node.body, type_ignores=[])
            counted = any(isinstance(n, ast.Attribute) and n.attr == "caught" for n in ast.walk(body))
            reraised = any(isinstance(n, ast.Raise) for n in ast.walk(body))
            if not (counted or reraised):
                offenders.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    assert offenders == [], ("broad except without metrics.caught(where, log, message) or a raise "
                             "(see app/README.md, 'Errors'):\n" + "\n".join(offenders))
