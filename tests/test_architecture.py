"""The house rules of docs/architecture.md, checked on the source: layers, cycles, thin routes."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

from tools.architecture_report import (
    file_cycles,
    package_graph,
    read_modules,
    route_handlers,
    strongly_connected,
    top_package,
    upward_imports,
)

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_PACKAGES = {
    "admin",
    "api",
    "auth",
    "backup",
    "casefiles",
    "custody",
    "demo",
    "intake",
    "investigations",
    "taxonomy",
    "vault",
}


@pytest.fixture(scope="module")
def modules():
    return read_modules(ROOT)


def _imports_of(modules, package: str) -> dict[str, set[str]]:
    return {
        name: {top_package(t) for t in module.imports}
        for name, module in modules.items()
        if top_package(name) == package
    }


def test_crypto_imports_no_flask_no_database_and_no_other_app_package(modules):
    import ast

    for path in (ROOT / "app" / "crypto").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                root = name.split(".")[0]
                assert root not in {"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug"}, path
                if root == "app":
                    assert name.startswith("app.crypto"), f"{path} imports {name}"


def test_jobs_import_no_domain_package(modules):
    for name, targets in _imports_of(modules, "jobs").items():
        assert not targets & DOMAIN_PACKAGES, f"{name} imports {targets & DOMAIN_PACKAGES}"


def test_investigations_import_none_of_intake_vault_casefiles_api(modules):
    for name, targets in _imports_of(modules, "investigations").items():
        banned = targets & {"intake", "vault", "casefiles", "api"}
        assert not banned, f"{name} imports {banned}"


def test_no_module_level_import_circle(modules):
    assert file_cycles(modules) == []


def test_the_only_package_cycle_is_custody_and_vault(modules):
    cycles = strongly_connected(package_graph(modules))
    assert all(set(cycle) <= {"custody", "vault"} for cycle in cycles), cycles


def test_no_package_reaches_up_into_a_higher_layer(modules):
    """The layers of tools/architecture_report.py: a package imports its own layer and below."""
    assert upward_imports(modules) == []


def test_html_route_handlers_are_thin():
    html = [h for h in route_handlers(ROOT) if not h.api]
    long = [f"{h.path}:{h.name} ({h.lines})" for h in html if h.lines > 25]
    assert long == []
    assert statistics.median(h.lines for h in html) <= 10


@pytest.mark.parametrize("package", ["intake", "casefiles"])
def test_intake_and_casefile_handlers_come_down_to_the_api_length(package):
    sizes = [h.lines for h in route_handlers(ROOT) if h.path.parts[1] == package]
    assert statistics.median(sizes) <= 10, sizes


def test_tests_mirror_app_package_for_package():
    packages = {p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists()}
    packages -= {"translations"}
    mirrored = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()}
    assert packages - mirrored == set()


# The spellings the renames retired: views are `routes`, what they call `services`.
RETIRED_LAYER_NAMES = re.compile(r"routes_\w+\.py|resources|service\.py|\w+_service\.py")


def test_each_layer_is_spelled_one_way():
    """Views live in `routes`, what they call in `services`: no `routes_*.py`, `resources/`,
    `service.py` or `*_service.py` anywhere in app/ (docs/architecture.md)."""
    misspelled = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*")
        if "translations" not in path.parts
        and (path.suffix == ".py" or path.is_dir())
        and RETIRED_LAYER_NAMES.fullmatch(path.name)
    ]
    assert misspelled == []


def test_file_upload_in_the_vault_is_not_called_intake():
    """ "Intake" is testimony (app/intake); the vault's upload modules say "upload"."""
    assert [p.name for p in (ROOT / "app" / "vault").rglob("*intake*")] == []
