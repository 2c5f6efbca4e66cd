"""Thin view: recording an item's acquisition record from the item page."""

from __future__ import annotations

from flask_babel import gettext as _

from app.acquisition import bp
from app.acquisition.forms import AcquisitionForm
from app.acquisition.services import record_acquisition
from app.error_responses import error_response
from app.form_submission import committed, saved
from app.investigations.viewer import viewer_for
from app.service_errors import ServiceError
from app.vault.reading.evidence import evidence_in


@bp.route("/investigations/<reference>/evidence/<evidence_id>/acquisition", methods=["POST"])
def record_evidence_acquisition(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    item = evidence_in(viewer, evidence_id)  # 404 for what the viewer may not see
    form = AcquisitionForm()
    form.validate_on_submit()  # CSRF is checked before the view runs; the service checks values
    try:
        committed(lambda: record_acquisition(viewer, item, form.values()))
    except ServiceError as refusal:
        return error_response(refusal.status, refusal.message)
    message = _("The acquisition record was saved.")
    return saved(message, "vault.evidence_item", reference=reference, evidence_id=evidence_id)
