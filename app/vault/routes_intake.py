"""The members-only upload page: a resumable (tus) uploader, and a plain multipart form fallback."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.http import parse_options_header
from wtforms.validators import ValidationError

from app.error_responses import error_response
from app.extensions import csrf
from app.investigations.access import investigation_by_reference_or_404
from app.investigations.viewer import viewer_of
from app.security.org_keys import ReadsDisabled, intake_only
from app.security.rate_limits import upload_limit
from app.vault import bp
from app.vault.incident_links import SHOWS_LABELS, incident_choices
from app.vault.intake import format_size, max_upload_bytes
from app.vault.multipart_intake import (
    MalformedUpload,
    MissingCsrfToken,
    receive_multipart,
    upload_receipts,
)
from app.vault.refusals import IntakeRefused

CSRF_MESSAGE = "The form expired or was not sent from this site. Reload the page and try again."


def _check_csrf(token: str) -> None:
    try:
        validate_csrf(token)
    except ValidationError:
        raise CSRFError(CSRF_MESSAGE) from None


def _render_page(investigation, outcomes=None, status=200, receipts=None):
    # Started from an incident's page (?incident=<id>): that incident is chosen already.
    return (
        render_template(
            "vault/upload.html",
            investigation=investigation,
            outcomes=outcomes or [],
            receipts=receipts or {},
            max_size=format_size(max_upload_bytes()),
            incident_choices=incident_choices(viewer_of(investigation, current_user)),
            chosen_incident=request.args.get("incident", ""),
            shows_labels=SHOWS_LABELS,
        ),
        status,
    )


@bp.route("/investigations/<reference>/evidence/upload", methods=["GET", "POST"])
@csrf.exempt  # checked in the body stream, before any file byte is stored (multipart_intake)
@upload_limit
def upload_evidence(reference: str):
    investigation = investigation_by_reference_or_404(reference, current_user)
    if request.method == "GET":
        return _render_page(investigation)
    csrf_checked = _check_header_csrf()
    boundary = _multipart_boundary()
    if boundary is None:
        csrf.protect()  # not a file upload: the ordinary check applies (the body is small)
        return error_response(400, "Send the files as a multipart/form-data form upload.")
    return _receive(investigation, boundary, csrf_checked)


def _receive(investigation, boundary: bytes, csrf_checked: bool):
    """Store the body's files; the page of what happened, or the refusal of the whole form."""
    try:
        outcomes = receive_multipart(
            investigation,
            current_user,
            request.stream.read,
            boundary,
            _check_csrf,
            csrf_checked=csrf_checked,
        )
    except MissingCsrfToken:
        return error_response(400, CSRF_MESSAGE)
    except IntakeRefused as refused:  # the incident chosen may not be: no file was stored
        return error_response(refused.status, refused.message)
    except MalformedUpload as broken:
        if broken.outcomes:  # say which files were stored before it broke off
            return _render_page(investigation, broken.outcomes, status=400)
        return error_response(400, "The upload was not a well-formed form submission.")
    return _uploaded_page(investigation, outcomes)


def _check_header_csrf() -> bool:
    """A token sent in X-CSRFToken is checked before the body is read; True when there was one."""
    header_token = request.headers.get("X-CSRFToken")
    if header_token:
        _check_csrf(header_token)
    return bool(header_token)


def _multipart_boundary() -> bytes | None:
    """The request's multipart boundary, or None when the body is not a multipart form."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        return None
    return options["boundary"].encode("latin-1")


def _uploaded_page(investigation, outcomes):
    """All stored: back to the page (303) saying so; else each file's outcome, refused first."""
    if not outcomes:
        return error_response(400, "Choose at least one file to upload.")
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
