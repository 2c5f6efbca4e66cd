"""Duplicate evidence within one investigation: exact (same SHA-256) and near (PDQ hashes)."""

from flask import Blueprint

bp = Blueprint("duplicates", __name__)

from app.duplicates import routes  # noqa: E402,F401  (registers the views)
