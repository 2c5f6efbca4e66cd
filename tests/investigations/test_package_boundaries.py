"""app/investigations holds the membership rule beneath the packages that use it: it imports
none of intake, vault, casefiles or api (they import it), so the rule cannot depend on them."""

from __future__ import annotations

import ast
from pathlib import Path

import app.investigations

PACKAGE = Path(app.investigations.__file__).parent
HIGHER = ("app.intake", "app.vault", "app.casefiles", "app.api")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_investigations_imports_no_package_that_builds_on_it():
    offending = {
        f"{path.name}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in imported_modules(path)
        if any(name == p or name.startswith(f"{p}.") for p in HIGHER)
    }
    assert offending == set()


def test_the_check_sees_imports_inside_functions(tmp_path):
    # The old cycle hid an import inside a function body; the walk must find those too.
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from app.vault.models import EvidenceItem\n")
    assert "app.vault.models" in imported_modules(module)
