"""Intake blueprint: incidents, witnesses with consent, interviews and testimony, map, timeline.

Mounted under /investigations/<reference>/ (app/__init__.py); every view receives the
investigation reference, starts from app.investigations.viewer.viewer_for, and goes through
app.intake.visibility for which records the viewer may see.
"""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from app.intake import routes  # noqa: E402,F401
