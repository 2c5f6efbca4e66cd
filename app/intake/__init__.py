"""Intake blueprint: incidents, witnesses with consent, interviews and testimony, map, timeline.

Mounted under /investigations/<reference>/ (app/__init__.py); every view receives the
investigation reference and goes through app.intake.visibility for what the user may see.
"""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from app.intake import routes  # noqa: E402,F401
