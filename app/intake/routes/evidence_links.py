"""Linking an evidence item to an incident from the item page, and removing that link."""

from __future__ import annotations

from flask_babel import gettext as _

from app.error_responses import error_response
from app.form_submission import committed, saved
from app.intake import bp
from app.intake.errors import IntakeValidationError
from app.intake.forms.evidence_links import LinkIncidentForm, UnlinkIncidentForm
from app.intake.services.evidence_links import (
    checked_link,
    link_to_incident,
    unlink_from_incident,
)
from app.investigations.viewer import viewer_for
from app.vault.reading.evidence import evidence_in
from app.vault.routes.reading import item_page

ITEM = "/evidence/<evidence_id>/incidents"


@bp.route(ITEM, methods=["POST"])
def link_evidence_incident(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    item = evidence_in(viewer, evidence_id)  # 404 for what the viewer may not see
    form = LinkIncidentForm()
    form.validate_on_submit()  # CSRF is checked before the view runs; the service checks values
    data = form.incident_id.data, form.shows.data, form.note.data
    try:
        committed(lambda: link_to_incident(viewer, item, checked_link(viewer, *data)))
    except IntakeValidationError as refusal:  # the item page, the form as it was sent (and why)
        sent = dict(zip(("incident_id", "shows", "note"), data, strict=True))
        sent["errors"] = dict(refusal.field_messages())
        return item_page(viewer, evidence_id, refusal.status, incident_link_sent=sent)
    return _done(_("Linked to the incident."), reference, evidence_id)


@bp.route(f"{ITEM}/<incident_id>/unlink", methods=["POST"])
def unlink_evidence_incident(reference: str, evidence_id: str, incident_id: str):
    viewer = viewer_for(reference)
    item = evidence_in(viewer, evidence_id)
    UnlinkIncidentForm().validate_on_submit()
    change = lambda: unlink_from_incident(viewer, item, incident_id)  # noqa: E731
    return _run(change, _("The link to the incident was removed."), reference, evidence_id)


def _run(change, message: str, reference: str, evidence_id: str):
    """Commit the change and go back to the item saying so; or the refusal, nothing stored."""
    try:
        committed(change)
    except IntakeValidationError as refusal:
        return _refused(refusal)
    return _done(message, reference, evidence_id)


def _refused(refusal: IntakeValidationError):
    """Nothing stored (rolled back): a 400 page saying what was wrong with the input."""
    return error_response(refusal.status, " ".join(m for _f, m in refusal.field_messages()))


def _done(message: str, reference: str, evidence_id: str):
    return saved(message, "vault.evidence_item", reference=reference, evidence_id=evidence_id)
