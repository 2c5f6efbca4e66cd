"""The shape of app/ in figures: import cycles, layering, handler lengths, duplicates, dead code.

A developer's tool (not shipped with exports): `python tools/architecture_report.py [ROOT]` prints
the figures docs/architecture.md records before and after a restructuring, and
tests/test_architecture.py holds the tree to the limits that docs/architecture.md states.
Imports are read with `ast`, never executed; imports under `if TYPE_CHECKING:` are left out because
they never run. Imports inside functions count: a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# Lower numbers sit lower: a package may import from its own layer and the layers beneath it.
LAYERS: dict[str, int] = {
    "crypto": 0,
    "timeutil": 0,
    "service_errors": 0,
    "language_codes": 0,
    "extensions": 1,
    "error_responses": 1,
    "form_submission": 1,
    "i18n": 1,
    "label_translations": 1,
    "reading_languages": 1,
    "request_logging": 1,
    "security": 2,
    "audit": 2,
    "vocabulary": 2,
    "jobs": 2,
    "auth": 3,
    "investigations": 4,
    "custody": 5,
    "vault": 5,
    "taxonomy": 6,
    "intake": 6,
    "casefiles": 6,
    "backup": 6,
    "drafts": 6,
    "duplicates": 6,
    "consistency": 6,
    "webcapture": 6,
    "provenance": 6,
    "acquisition": 6,
    "accesslog": 5,
    "approvals": 6,
    "retention": 6,
    "api": 7,
    "openrosa": 7,
    "admin": 7,
    "main": 7,
    "health": 7,
    "models": 8,
    "demo": 8,
    "cli": 9,
    "warmup": 9,
    "errors": 9,
    "__init__": 10,
    "worker_main": 11,  # an entry point, like wsgi.py: it builds the app
}

ROUTE_DECORATOR = re.compile(r"\.(route|get|post|put|delete|patch)\(")

# Entry points that Flask, Click, SQLAlchemy and WTForms call by registration, not by name: vulture
# cannot see those calls, so it is told about them instead of flagging every route and hook.
VULTURE_DECORATORS = ",".join(
    f"@*.{name}"
    for name in (
        "route get post put patch delete errorhandler app_errorhandler before_request "
        "before_app_request after_request after_app_request command group user_loader "
        "request_loader unauthorized_handler context_processor app_context_processor "
        "listens_for teardown_request teardown_appcontext validates template_filter "
        "app_template_filter handler expression setter"
    ).split()
)
VULTURE_NAMES = (
    "upgrade,downgrade,create_app,validate_*,process_bind_param,process_result_value,"
    "load_dialect_impl,process_literal_param,python_type,cache_ok,impl,Meta,is_active,"
    "is_anonymous,readable,seekable,tell,readinto,readall,closed,pre_validate,__*__"
)


@dataclass
class Module:
    name: str
    path: Path
    imports: set[str] = field(default_factory=set)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def _imported_names(module: str, is_package: bool, node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".")
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def read_modules(root: Path) -> dict[str, Module]:
    app = root / "app"
    modules: dict[str, Module] = {}
    for path in sorted(app.rglob("*.py")):
        name = module_name(root, path)
        modules[name] = Module(name, path)
    for module in modules.values():
        tree = ast.parse(module.path.read_text())
        skipped = _type_checking_nodes(tree)
        is_package = module.path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in skipped:
                continue
            for target in _imported_names(module.name, is_package, node):
                if target in modules and target != module.name:
                    module.imports.add(target)
    return modules


def top_package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; returns the components with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def file_cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Import circles between modules. A package's __init__ importing its own submodules is a
    re-export, not a circle, so edges from a package to its descendants are left out."""
    graph = {
        name: {t for t in m.imports if not t.startswith(name + ".")} for name, m in modules.items()
    }
    return strongly_connected(graph)


def package_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module in modules.values():
        source = top_package(module.name)
        for target in module.imports:
            if top_package(target) != source:
                graph[source].add(top_package(target))
    return graph


def upward_imports(modules: dict[str, Module]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where a lower layer reaches up into a higher one."""
    found = []
    for module in modules.values():
        source = top_package(module.name)
        for target in sorted(module.imports):
            destination = top_package(target)
            if LAYERS.get(destination, 99) > LAYERS.get(source, 99):
                found.append((module.name, target))
    return sorted(found)


@dataclass
class Handler:
    path: Path
    name: str
    lines: int
    api: bool


def route_handlers(root: Path) -> list[Handler]:
    handlers = []
    for path in sorted((root / "app").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                ROUTE_DECORATOR.search(ast.unparse(d)) for d in node.decorator_list
            ):
                api = path.relative_to(root).parts[1] == "api"
                size = node.end_lineno - node.lineno + 1
                handlers.append(Handler(path.relative_to(root), node.name, size, api))
    return handlers


def duplicate_pairs(root: Path) -> str:
    try:
        result = subprocess.run(  # nosec B603 B607: the tool library's command, no shell
            ["duplicates", "--repo", str(root / "app"), "--most", "1", "--seconds", "120"],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"not measured ({type(exc).__name__})"
    return result.stdout.splitlines()[0] if result.stdout else "not measured"


def dead_code(root: Path) -> list[str]:
    try:
        result = subprocess.run(  # nosec B603: the venv's own interpreter, no shell
            [
                sys.executable,
                "-m",
                "vulture",
                "app",
                "--min-confidence",
                "60",
                "--ignore-decorators",
                VULTURE_DECORATORS,
                "--ignore-names",
                VULTURE_NAMES,
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"not measured ({type(exc).__name__})"]
    kinds = re.compile(r"unused (function|method|class|property)")
    return [line for line in result.stdout.splitlines() if kinds.search(line)]


def report(root: Path) -> str:
    modules = read_modules(root)
    packages = package_graph(modules)
    html = [h for h in route_handlers(root) if not h.api]
    api = [h for h in route_handlers(root) if h.api]
    per_package: dict[str, list[int]] = defaultdict(list)
    for handler in html:
        per_package[handler.path.parts[1]].append(handler.lines)
    lines = [
        f"modules: {len(modules)}",
        f"package-level import cycles: {strongly_connected(packages) or 'none'}",
        f"file-level import circles: {len(file_cycles(modules))}",
    ]
    lines += [f"  circle: {' -> '.join(c)}" for c in file_cycles(modules)]
    upward = upward_imports(modules)
    lines.append(f"imports from a lower package to a higher one: {len(upward)}")
    lines += [f"  {a} -> {b}" for a, b in upward]
    if html:
        lines.append(
            f"HTML route handlers: {len(html)}, median {statistics.median(h.lines for h in html)}"
            f" lines, max {max(h.lines for h in html)}"
        )
        for package, sizes in sorted(per_package.items()):
            lines.append(
                f"  {package}: {len(sizes)}, median {statistics.median(sizes)}, max {max(sizes)}"
            )
    if api:
        lines.append(
            f"API route handlers: {len(api)}, median {statistics.median(h.lines for h in api)}"
            f" lines, max {max(h.lines for h in api)}"
        )
    lines.append(f"duplicates in app/: {duplicate_pairs(root)}")
    dead = dead_code(root)
    lines.append(f"vulture (unused functions, methods, classes): {len(dead)} candidates")
    lines += [f"  {line}" for line in dead]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
