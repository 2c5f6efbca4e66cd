"""The API's OpenAPI 3.1 document (app/api/openapi.yaml, kept by hand), served as JSON."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from app.api import bp
from app.api.routes.responses import ok

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


@cache
def openapi_document() -> dict[str, Any]:
    """The parsed document; read once per process (it ships with the code and never changes)."""
    import yaml  # on first use: about 1 MB a web worker need not hold

    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    return ok(openapi_document())
