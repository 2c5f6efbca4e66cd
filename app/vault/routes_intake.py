"""The members-only upload page: a resumable (tus) uploader, and a plain multipart form fallback."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.http import parse_options_header
from wtforms.validators import ValidationError

from app.errors import error_response
from app.extensions import csrf
from app.investigations.access import investigation_by_reference_or_404
from app.security.org_keys import ReadsDisabled
from app.security.rate_limits import upload_limit
from app.vault import bp
from app.vault.intake import format_size, max_upload_bytes
from app.vault.multipart_intake import MalformedUpload, MissingCsrfToken, receive_multipart

CSRF_MESSAGE = "The form expired or was not sent from this site. Reload the page and try again."


def _check_csrf(token: str) -> None:
    try:
        validate_csrf(token)
    except ValidationError:
        raise CSRFError(CSRF_MESSAGE) from None


def _render_page(investigation, outcomes=None, status=200):
    return (
        render_template(
            "vault/upload.html",
            investigation=investigation,
            outcomes=outcomes or [],
            max_size=format_size(max_upload_bytes()),
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
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    header_token = request.headers.get("X-CSRFToken")
    if header_token:
        _check_csrf(header_token)
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        csrf.protect()  # not a file upload: the ordinary check applies (the body is small)
        return error_response(400, "Send the files as a multipart/form-data form upload.")
    try:
        outcomes = receive_multipart(
            investigation,
            current_user,
            request.stream.read,
            options["boundary"].encode("latin-1"),
            _check_csrf,
            csrf_checked=bool(header_token),
        )
    except MissingCsrfToken:
        return error_response(400, CSRF_MESSAGE)
    except MalformedUpload as broken:
        if broken.outcomes:  # say which files were stored before it broke off
            return _render_page(investigation, broken.outcomes, status=400)
        return error_response(400, "The upload was not a well-formed form submission.")
    if not outcomes:
        return error_response(400, "Choose at least one file to upload.")
    refused = [o for o in outcomes if o.refusal is not None]
    if not refused:
        flash(f"Stored {len(outcomes)} file(s), encrypted, with their SHA-256 recorded.", "success")
        return redirect(url_for("vault.upload_evidence", reference=reference), code=303)
    return _render_page(investigation, outcomes, status=refused[0].refusal.status)


@bp.app_errorhandler(ReadsDisabled)
def reads_disabled(exc: ReadsDisabled):
    return error_response(503, exc.message)
