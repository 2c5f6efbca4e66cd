"""Thin view: recording an item's acquisition record from the item page."""

from __future__ import annotations

from flask_babel import gettext as _

from app.acquisition import bp
from app.acquisition.forms import AcquisitionForm
from app.acquisition.services import AcquisitionLocked, record_acquisition
from app.acquisition.views import acquisition_panel
from app.error_responses import error_response
from app.form_submission import commit_or_refuse, saved
from app.investigations.viewer import viewer_for
from app.service_errors import ServiceError
from app.vault.reading.evidence import evidence_in
from app.vault.routes.reading import item_page


@bp.route("/investigations/<reference>/evidence/<evidence_id>/acquisition", methods=["POST"])
def record_evidence_acquisition(reference: str, evidence_id: str):
    viewer = viewer_for(reference)
    item = evidence_in(viewer, evidence_id)  # 404 for what the viewer may not see
    form = AcquisitionForm()  # CSRF is checked before the view runs; the service checks values
    outcome = commit_or_refuse(lambda: record_acquisition(viewer, item, form.values()), form)
    if isinstance(outcome, AcquisitionLocked):  # no form to give back: the record is approved
        return error_response(outcome.status, outcome.message)
    if isinstance(outcome, ServiceError):  # the item page, its form as it was sent (and why)
        panel = acquisition_panel(viewer, item, sent=form)
        return item_page(viewer, evidence_id, outcome.status, {"acquisition": panel})
    message = _("The acquisition record was saved.")
    return saved(message, "vault.evidence_item", reference=reference, evidence_id=evidence_id)
