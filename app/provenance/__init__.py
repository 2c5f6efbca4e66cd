"""Capture proofs a file carries (C2PA manifests), verified when it arrives and kept."""

from flask import Blueprint

bp = Blueprint("provenance", __name__)

from app.provenance import routes  # noqa: E402,F401  (registers the views)
