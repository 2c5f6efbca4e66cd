"""Consistency checks: what a file says about itself against what people stated."""

from flask import Blueprint

bp = Blueprint("consistency", __name__)

from app.consistency import routes  # noqa: E402,F401  (registers the views)
