"""Whether a test file aims at an ASVS control: imports it, reaches one of its routes, or, for
a request hook, sends any request (tests/security/test_asvs_mapping.py)."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUEST_RE = re.compile(
    r"\b(client|api|browser|page)\.(get|post|put|patch|delete|open)\(|\b(post_form|sign_in)\("
)


def resolve(control: str) -> object:
    """The module or object a control names; raises if it does not exist."""
    module_name, _, name = control.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, name) if name else module


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}:{alias.name}" for alias in node.names)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@cache
def _app_facts() -> tuple[dict[str, list[str]], set[str]]:
    """(view `module:function` -> its URL rules, modules that register request hooks)."""
    from app import create_app
    from tests.conftest import make_config

    app = create_app(make_config("sqlite://", Path(tempfile.mkdtemp(prefix="custos-asvs-"))))
    views: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view = getattr(view, "__wrapped__", view)
        key = f"{view.__module__}:{view.__name__}"
        views.setdefault(key, []).append(rule.rule)
    hooks: set[str] = set()
    for registry in (app.before_request_funcs, app.after_request_funcs):
        for functions in registry.values():
            hooks.update(getattr(f, "__module__", "") for f in functions)
    for handlers in app.error_handler_spec.get(None, {}).values():
        hooks.update(getattr(f, "__module__", "") for f in handlers.values())
    return views, hooks


def targets(test_file: str, control: str) -> bool:
    """Whether the test file imports the control, reaches a route of it, or (a hook) any route."""
    source = (ROOT / test_file).read_text(encoding="utf-8")
    module_name, _, name = control.partition(":")
    imports = _imports(ast.parse(source))
    if control in imports or module_name in imports or f"{module_name}:{name}" in imports:
        return True
    if name and f"{module_name}.{name}" in imports:
        return True
    views, hooks = _app_facts()
    sends_requests = bool(REQUEST_RE.search(source))
    # A matrix generated from the URL map (tests/test_route_matrix.py) reaches every view.
    walks_url_map = "url_map" in source or "URL_RULES" in imports_names(imports)
    if module_name in hooks and sends_requests:
        return True
    # Every app, the test suite's included, is built from a subclass of config.Config.
    if control == "config:Config" and sends_requests:
        return True
    for view, rules in views.items():
        view_module, _, view_name = view.partition(":")
        same = view == control if name else view_module.startswith(module_name)
        if same and (
            walks_url_map or (sends_requests and any(_mentions(source, r) for r in rules))
        ):
            return True
    return False


def imports_names(imports: set[str]) -> set[str]:
    return {name.rpartition(":")[2] for name in imports if ":" in name}


def _mentions(source: str, rule: str) -> bool:
    """Whether the source writes a URL of this rule (an f-string or a value per parameter);
    API tests leave out the /api/v1 prefix their client adds (tests/api/helpers.py)."""
    if rule.startswith("/api/v1/") and _mentions(source, rule.removeprefix("/api/v1")):
        return True
    if re.search(_pattern(rule) + r"(?=[\"'?{]|$)", source, re.MULTILINE):
        return True
    # Tests build an investigation's URLs with a helper: world.url("/incidents"), .path(...)
    _, marker, tail = rule.partition("/investigations/<reference>")
    if marker and tail:
        return re.search(r"\b(url|path)\(f?[\"']" + _pattern(tail) + r"[\"'?]", source) is not None
    return False


def _pattern(rule: str) -> str:
    parts = re.split(r"<[^>]+>", rule)
    return r"(?:\{[^}]+\}|[^/\"'\s{}]+)".join(re.escape(part) for part in parts)


def collected_node_ids(test_files: list[str]) -> set[str]:
    """The node ids pytest collects from these files, parameters stripped."""
    result = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *test_files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        line.split("[", 1)[0]
        for line in result.stdout.splitlines()
        if "::" in line and not line.startswith(" ")
    }
