"""app/crypto stands alone: no module in it imports Flask, SQLAlchemy or another `app` package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "app.crypto"
FORBIDDEN_LIBRARIES = ("flask", "sqlalchemy")
PROJECT_MODULES = ("app", "config")  # config.py is the app's settings: Flask's, not the format's


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, module: str, is_package: bool) -> list[str]:
    """Every module `source` imports, at any depth (in functions too), relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from app import vault` imports app.vault: judge each imported name as a module.
            names.extend(f"{target}.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    top = name.split(".")[0]
    if top.startswith(FORBIDDEN_LIBRARIES):  # flask, flask_login, flask_sqlalchemy, sqlalchemy
        return True
    inside = name == PACKAGE or name.startswith(PACKAGE + ".")
    return top in PROJECT_MODULES and not inside


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    return [
        f"{module} imports {name}"
        for name in imported_names(source, module, is_package)
        if forbidden(name)
    ]


def test_no_module_in_app_crypto_imports_flask_sqlalchemy_or_another_app_package() -> None:
    paths = sorted((ROOT / "app" / "crypto").rglob("*.py"))
    assert len(paths) >= 16  # the package, age (12 modules), minisign, canonical, fsync
    found = [
        problem
        for path in paths
        for problem in violations(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask import current_app",
        "from flask_login import current_user",
        "import sqlalchemy as sa",
        "from sqlalchemy.orm import Mapped",
        "from app.vault import storage",
        "from app import extensions",
        "import app.custody.ledger",
        "def later():\n    from app.security import org_keys\n",
        "from ...security import master_key",
        "from ... import vault",
        "from config import Config",
    ],
)
def test_the_check_catches_a_forbidden_import(source: str) -> None:
    assert violations(source, "app.crypto.age.reader") != []


@pytest.mark.parametrize(
    "source",
    [
        "from .errors import AgeError",
        "from . import bech32",
        "from app.crypto.age import Recipient",
        "from .. import canonical",
        "from cryptography.exceptions import InvalidTag",
        "import os",
    ],
)
def test_the_check_lets_crypto_import_itself_and_libraries(source: str) -> None:
    assert violations(source, "app.crypto.age.reader") == []
