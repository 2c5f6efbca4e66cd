"""Intake blueprint: incidents, witnesses with consent, interviews and testimony, map, timeline.

Mounted under /investigations/<reference>/ (app/__init__.py); every view receives the
investigation reference, starts from app.investigations.viewer.viewer_for, and goes through
app.intake.visibility for which records the viewer may see.
"""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from app.intake.when import certainty_label, incident_when  # noqa: E402

# Every template (intake pages, case files, the export report) writes an incident's time as
# `incident|incident_when`, so it reads the way it was entered everywhere.
bp.add_app_template_filter(incident_when, "incident_when")
bp.add_app_template_filter(certainty_label, "certainty_label")

from app.intake.target_labels import target_labels  # noqa: E402

bp.add_app_template_filter(target_labels, "target_labels")

from app.intake import routes  # noqa: E402,F401
