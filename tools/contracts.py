"""fawu's own import-linter contract: domains meet only through each other's public modules, and
never import another domain's ``_private`` names.

``type = fawu_public_surface`` with options:
- ``domains``: the packages (and single modules) that are domains of their own;
- ``public``: what one domain may import of another (a module and everything below it), e.g.
  ``app.cases.service``; anything else of a domain (models, tasks, helpers) stays inside it;
- ``ignore_imports``: import expressions left out (``importer -> imported``), each with its reason.
Imports from or into modules outside ``domains`` (the kit: config, core, errors, web, db) are not
this contract's business (the layers contract orders them).
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True)
class Breach:
    importer: str
    imported: str
    line: int
    what: str


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


class PublicSurfaceContract(Contract):
    type_name = "fawu_public_surface"
    domains = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)

    def _domain_of(self, module: str) -> str | None:
        best = None
        for d in self.domains:  # type: ignore[attr-defined]
            if _within(module, d) and (best is None or len(d) > len(best)):
                best = d
        return best

    def _public(self, module: str) -> bool:
        return any(_within(module, p) for p in self.public)  # type: ignore[attr-defined]

    def _ignored(self, importer: str, imported: str) -> bool:
        for expr in self.ignore_imports or []:  # type: ignore[attr-defined]
            left, _, right = (part.strip() for part in expr.partition("->"))
            if _within(importer, left) and _within(imported, right):
                return True
        return False

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        breaches: list[Breach] = []
        for importer in sorted(graph.modules):
            mine = self._domain_of(importer)
            if mine is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                theirs = self._domain_of(imported)
                if theirs is None or theirs == mine or self._ignored(importer, imported):
                    continue
                lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
                if not self._public(imported):
                    breaches.append(Breach(importer, imported, min(lines or [0]),
                                           f"not public: {theirs} offers only its service (see app/README.md)"))
            breaches += self._private_names(importer, mine)
        return ContractCheck(kept=not breaches, metadata={"breaches": breaches})

    def _private_names(self, importer: str, mine: str) -> list[Breach]:
        """``from app.other.module import _name``: a private name of another domain."""
        spec = importlib.util.find_spec(importer)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            return []
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        out = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                theirs = self._domain_of(node.module)
                if theirs is None or theirs == mine:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        out.append(Breach(importer, f"{node.module}.{alias.name}", node.lineno,
                                          f"private name of {theirs}"))
        return out

    def render_broken_contract(self, check: ContractCheck) -> None:
        for b in check.metadata["breaches"]:
            output.print_error(f"- {b.importer} -> {b.imported} (l.{b.line}): {b.what}", bold=False)
            output.new_line()
