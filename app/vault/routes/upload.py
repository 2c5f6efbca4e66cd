"""The members-only upload page: a resumable (tus) uploader, and a plain multipart form fallback."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.error_responses import error_response
from app.extensions import csrf
from app.investigations.access import investigation_by_reference_or_404
from app.investigations.viewer import viewer_of
from app.security.org_keys import ReadsDisabled, intake_only
from app.security.rate_limits import upload_limit
from app.vault import bp
from app.vault.incident_links import SHOWS_LABELS, incident_choices
from app.vault.upload.checks import format_size, max_upload_bytes
from app.vault.upload.multipart import upload_receipts
from app.vault.upload.refusals import IntakeRefused
from app.vault.upload.request import UploadNotReceived, receive_form_upload


def _render_page(investigation, outcomes=None, status=200, receipts=None, posted=None):
    # Started from an incident's page (?incident=<id>): that incident is chosen already. A form
    # sent without a file comes back as it was filled (`posted`), saying what is missing.
    files_error = None if posted is None else _("Choose at least one file to upload.")
    posted = posted or {}
    return (
        render_template(
            "vault/upload.html",
            investigation=investigation,
            outcomes=outcomes or [],
            receipts=receipts or {},
            max_size=format_size(max_upload_bytes()),
            incident_choices=incident_choices(viewer_of(investigation, current_user)),
            chosen_incident=posted.get("incident_id", request.args.get("incident", "")),
            shows_labels=SHOWS_LABELS,
            posted=posted,
            files_error=files_error,
        ),
        status,
    )


@bp.route("/investigations/<reference>/evidence/upload", methods=["GET", "POST"])
@csrf.exempt  # checked in the body stream, before any file byte is stored (upload.multipart)
@upload_limit
def upload_evidence(reference: str):
    investigation = investigation_by_reference_or_404(reference, current_user)
    if request.method == "GET":
        return _render_page(investigation)
    try:
        outcomes = receive_form_upload(investigation, current_user)
    except IntakeRefused as refused:  # the incident chosen may not be: no file was stored
        return error_response(refused.status, refused.message)
    except UploadNotReceived as refused:
        if refused.outcomes:  # say which files were stored before it broke off
            return _render_page(investigation, refused.outcomes, status=refused.status)
        if refused.posted is not None:  # no file chosen: the form back, as it was filled
            return _render_page(investigation, status=400, posted=refused.posted)
        return error_response(refused.status, refused.message)
    return _uploaded_page(investigation, outcomes)


def _uploaded_page(investigation, outcomes):
    """All stored: back to the page (303) saying so; else each file's outcome, refused first."""
    refused = [o for o in outcomes if o.refusal is not None]
    if refused:
        return _render_page(investigation, outcomes, status=refused[0].refusal.status)
    if intake_only():
        # A receipt per file, shown now: this node cannot show the files (or their names) later.
        return _render_page(investigation, outcomes, receipts=upload_receipts(outcomes))
    flash(f"Stored {len(outcomes)} file(s), encrypted, with their SHA-256 recorded.", "success")
    return redirect(
        url_for(
            "vault.upload_evidence",
            reference=investigation.reference,
            incident=request.args.get("incident") or None,
        ),
        code=303,
    )


@bp.app_errorhandler(ReadsDisabled)
def reads_disabled(exc: ReadsDisabled):
    return error_response(503, exc.message)
