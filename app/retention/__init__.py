"""Legal holds, two-person disposition of evidence and witnesses' requests to be forgotten."""

from flask import Blueprint

bp = Blueprint("retention", __name__)

from app.retention import (  # noqa: E402,F401  (guards, case-file tombstones, views)
    blob_guard,
    casefile_tombstones,
    export_guard,
    routes,
)
