"""Legal holds, two-person disposition of evidence and witnesses' requests to be forgotten."""

from flask import Blueprint

bp = Blueprint("retention", __name__)

from app.retention import blob_guard, export_guard, routes  # noqa: E402,F401  (guards, views)
