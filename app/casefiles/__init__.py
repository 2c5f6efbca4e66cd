"""Case files blueprint (mounted at /investigations/<reference>/cases): lawyers' legal work."""

from flask import Blueprint

bp = Blueprint("casefiles", __name__)

from app.casefiles.routes import (  # noqa: E402,F401
    cases,
    exports,
    items,
    matrix,
    redaction,
    refusals,
    removals,
)
