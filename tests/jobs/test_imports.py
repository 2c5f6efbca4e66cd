"""app/jobs is machinery only: it imports no domain package, and its modules form no circle.

Read from the source (ast), so an import inside a function or under TYPE_CHECKING counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

APP = Path(__file__).resolve().parents[2] / "app"
JOBS = APP / "jobs"
# The libraries the machinery is built on; anything else outside the standard library is not.
LIBRARIES = {"flask", "sqlalchemy", "rq", "redis"}
# The few modules of app/ beneath every package: the unbound extensions, the clock, and the
# row-id convention every table shares. None of them imports a domain package.
FOUNDATIONS = {"app.extensions", "app.timeutil", "app.security.encrypted_type"}


def imported_modules(source: str, module: str) -> list[str]:
    """Every module `source` (the text of `module`) imports, resolved to absolute names."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [f"{base}.{alias.name}" for alias in node.names] if base == "app" else [base]
    return found


def forbidden_imports(source: str, module: str) -> list[str]:
    bad = []
    for name in imported_modules(source, module):
        top = name.split(".")[0]
        if top == "app":
            if not (name == "app.jobs" or name.startswith("app.jobs.") or name in FOUNDATIONS):
                bad.append(name)
        elif top not in LIBRARIES and top not in sys.stdlib_module_names and top != "__future__":
            bad.append(name)
    return bad


def jobs_modules() -> dict[str, str]:
    return {
        f"app.jobs.{path.stem}" if path.stem != "__init__" else "app.jobs": path.read_text()
        for path in sorted(JOBS.glob("*.py"))
    }


def domain_packages() -> list[str]:
    return sorted(
        f"app.{path.name}"
        for path in APP.iterdir()
        if (path / "__init__.py").exists() and path.name not in {"jobs", "security"}
    )


def test_the_checker_catches_a_domain_import_wherever_it_hides():
    hidden = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from app.vault.models import EvidenceItem\n"
        "def later():\n    from app.casefiles.services import exports\n"
        "import app.custody.fixity\nfrom app import intake\nfrom ..investigations import access\n"
        "import requests\nfrom app.security.org_keys import ReadsDisabled\n"
    )
    assert sorted(forbidden_imports(hidden, "app.jobs.example")) == [
        "app.casefiles.services",
        "app.custody.fixity",
        "app.intake",
        "app.investigations",
        "app.security.org_keys",
        "app.vault.models",
        "requests",
    ]
    assert {"app.vault", "app.custody", "app.casefiles", "app.intake"} <= set(domain_packages())


def test_app_jobs_imports_no_domain_package():
    found = {
        module: bad
        for module, source in jobs_modules().items()
        if (bad := forbidden_imports(source, module))
    }
    assert found == {}, f"app/jobs must not import these (domain packages: {domain_packages()})"


def import_circles(edges: dict[str, set[str]]) -> list[str]:
    """Every path of imports that comes back to where it started, as "a -> b -> a"."""
    circles = []
    for start in edges:
        stack = [(start, (start,))]
        while stack:
            current, path = stack.pop()
            for target in sorted(edges[current]):
                if target == start:
                    circles.append(" -> ".join((*path, start)))
                elif target not in path:
                    stack.append((target, (*path, target)))
    return circles


def test_the_circle_finder_finds_the_old_runner_loop():
    old = {"runner": {"runners"}, "runners": {"runner", "kinds"}, "kinds": {"runner"}}
    assert "runner -> runners -> runner" in import_circles(old)
    assert "runner -> runners -> kinds -> runner" in import_circles(old)


def test_app_jobs_modules_import_each_other_in_no_circle():
    modules = jobs_modules()
    edges = {
        module: {name for name in imported_modules(source, module) if name in modules}
        for module, source in modules.items()
    }
    assert len(modules) >= 10 and any(edges.values())
    assert import_circles(edges) == []
