"""Forms tying an evidence item to an incident (the item page) and removing that tie."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from app.vault.incident_links import SHOWS_LABELS


class LinkIncidentForm(FlaskForm):
    # Unknown values are refused by the service with a message naming what is wrong (not
    # WTForms' generic "not a valid choice"), the same as from the upload form and the API.
    incident_id = SelectField(_l("Incident"), choices=[], validate_choice=False)
    shows = SelectField(
        _l("What it shows"), choices=list(SHOWS_LABELS.items()), validate_choice=False
    )
    note = TextAreaField(_l("Note (optional; needed for other)"))


class UnlinkIncidentForm(FlaskForm):
    """A button: CSRF only; the incident is in the URL."""
