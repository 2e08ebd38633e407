"""The layout rules of app/README.md, checked on the source: dependencies point one way.

The import contracts themselves live in pyproject.toml ([tool.importlinter], run by ``make lint``);
the tests here prove they hold and that they fail on planted violations, and check what import-linter
cannot see (string imports, reasons for function-level imports, swallowed exceptions).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


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


ROOT = APP.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120)


def test_the_import_contracts_hold() -> None:
    res = _lint_imports(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


# (file to append to, line planted, the contract it must break)
PLANTED = [
    ("app/consult/routes.py", "from app.cases.service import _load", "public-surface"),
    ("app/consult/routes.py", "from app.cases.models import Case", "models-cases"),
    ("app/consult/routes.py", "from app.cases import tasks", "public-surface"),
    ("app/core/scope.py", "from app.org import service", "layers"),
    ("app/boards/views.py", "from app.console import labels", "layers"),
    ("app/org/service.py", "from app import wiring", "layers"),
    ("app/wechat/service.py", "from app.consult import service as consult_service", "layers"),
    ("app/staff/service.py", "from app.console.kit import auth", "layers"),
    ("app/console/labels.py", "from app.cases.models import STATUS_ZH", "models-cases"),
    ("app/cli.py", "from app.residents.models import Resident", "models-residents"),
    ("app/laws/service.py", "from fastapi import HTTPException", "services-no-web"),
]


@pytest.mark.parametrize(("target", "line", "contract"), PLANTED)
def test_the_contracts_fail_on_a_planted_violation(tmp_path: Path, target: str, line: str, contract: str) -> None:
    for part in ("app", "tools"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / target).open("a", encoding="utf-8") as f:
        f.write(f"\n{line}  # noqa\n")
    res = _lint_imports(tmp_path)
    assert res.returncode != 0, f"{line} in {target} should break {contract}\n{res.stdout}"
    names = {c["id"]: c["name"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]}
    assert f"{names[contract]} BROKEN" in " ".join(res.stdout.split()), res.stdout


def test_every_console_module_is_placed_in_the_layers() -> None:
    """The layers list console's modules one by one (its kit sits lower): a new one must be added."""
    layers = next(c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
                  if c["id"] == "layers")["layers"]
    listed = " ".join(layers)
    missing = [f"app.console.{p.stem}" for p in (APP / "console").glob("*.py")
               if p.stem != "__init__" and f"app.console.{p.stem}" not in listed]
    assert missing == [], f"add {missing} to the top layer in pyproject.toml [tool.importlinter] 'layers'"


def test_every_package_is_placed_in_the_layers() -> None:
    """A new domain (booking, surveys, push, catalog, mp_api...) must be placed in the layers and, as a
    domain, in the public-surface contract, or nothing checks its imports."""
    contracts = {c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]}
    listed = " ".join(contracts["layers"]["layers"]).replace("(", " ").replace(")", " ").replace(":", " ").replace("|", " ")
    names = set(listed.split())
    missing = [f"app.{p.stem if p.suffix else p.name}" for p in APP.iterdir()
               if (p.suffix == ".py" and p.stem != "__init__" or p.is_dir() and (p / "__init__.py").exists())
               and f"app.{p.stem if p.suffix else p.name}" not in names | {"app.console"}]  # module by module
    assert missing == [], (f"place {missing} in pyproject.toml [tool.importlinter] 'layers' (see app/README.md: "
                           "base domains above org, feature domains beside boards/consult/laws/cases, mp_api on top) "
                           "and add domains to the 'public-surface' contract's domains and public lists")
    surface = set(contracts["public-surface"]["domains"])
    domains = [n for n in names if n.count(".") == 1 and (APP / n.split(".")[1]).is_dir()
               and n not in {"app.core", "app.migrations"}]
    assert sorted(d for d in domains if d not in surface) == [], "add them to the public-surface contract's domains"


def test_string_imports_only_in_wiring() -> None:
    """import-linter cannot see ``importlib.import_module("app...")``: only app/wiring.py may use it."""
    offenders = []
    for path in APP.rglob("*.py"):
        if path.name == "wiring.py" and path.parent == APP:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "import_module", "__import__") or isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "dynamic imports outside app/wiring.py: " + ", ".join(offenders)


def test_function_level_imports_carry_their_reason() -> None:
    """An import inside a function hides a dependency: allowed only with a ``# function-level: why``
    comment just above it (a cycle that cannot be avoided, a heavy or optional package)."""
    offenders = []
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    above = lines[max(0, node.lineno - 4):node.lineno - 1]
                    if not any("# function-level:" in a for a in above):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert offenders == [], ("function-level imports without '# function-level: <reason>' above them "
                             "(hoist them to the top of the module if no cycle forbids it):\n" + "\n".join(offenders))
