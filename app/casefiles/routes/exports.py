"""Views: start an export (background job), watch its progress, download the result."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.forms import ExportForm
from app.casefiles.routes.context import load_case
from app.casefiles.services import exports as service
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.export_lifecycle import export_notes
from app.error_responses import error_response
from app.extensions import db
from app.form_submission import committed, submit_form
from app.security.headers import sandbox_evidence
from app.security.rate_limits import export_limit


@bp.route("/<case_ref>/export", methods=["GET", "POST"])
@role_required("lawyer")
@export_limit
def export(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = ExportForm()
    form.named_witnesses.choices = service.nameable_witnesses(investigation, casefile, current_user)
    return submit_form(
        form,
        lambda: service.start_export(investigation, casefile, current_user, form.to_request()),
        done=lambda started: redirect(
            url_for(".export_status", reference=reference, case_ref=case_ref, export_id=started.id)
        ),
        page=lambda status: (
            render_template(
                "casefiles/export.html",
                investigation=investigation,
                casefile=casefile,
                form=form,
                plans=service.export_plans(investigation, casefile, current_user),
            ),
            status,
        ),
    )


def _load_export(reference: str, case_ref: str, export_id: str):
    """The investigation, the case file and its export, scoped to the user, or 404."""
    investigation, casefile = load_case(reference, case_ref)
    found = service.export_for(casefile, export_id, current_user)
    if found is None:
        abort(404)
    return investigation, casefile, found


def _to_status(reference: str, case_ref: str, export_id: str):
    return redirect(
        url_for(".export_status", reference=reference, case_ref=case_ref, export_id=export_id)
    )


@bp.route("/<case_ref>/exports/<export_id>")
@role_required("lawyer")
def export_status(reference: str, case_ref: str, export_id: str):
    investigation, casefile, found = _load_export(reference, case_ref, export_id)
    return render_template(
        "casefiles/export_status.html",
        investigation=investigation,
        casefile=casefile,
        export=found,
        progress=service.job_progress(found),
        ready=service.download_ready(found),
        retry_form=ConfirmForm(),
        destination_label=service.destination_label(found),
        notes=export_notes(found),
    )


@bp.route("/<case_ref>/exports/<export_id>/retry", methods=["POST"])
@role_required("lawyer")
@export_limit
def export_retry(reference: str, case_ref: str, export_id: str):
    """ "Try again" on a failed export: the same request, run once more."""
    _, casefile, found = _load_export(reference, case_ref, export_id)
    ConfirmForm.require()
    if service.retry_export(found):
        flash(gettext("The export is starting again."), "success")
    else:
        flash(gettext("Only a failed export can be tried again."), "info")
    return _to_status(reference, case_ref, export_id)


@bp.route("/<case_ref>/exports/<export_id>/progress")
@role_required("lawyer")
def export_progress(reference: str, case_ref: str, export_id: str):
    """JSON for static/js/job_progress.js: state, progress 0-100, message, and where to go."""
    _, casefile, found = _load_export(reference, case_ref, export_id)
    body = service.job_progress(found)
    db.session.refresh(found)
    if service.download_ready(found):
        body["download_url"] = url_for(
            ".export_download", reference=reference, case_ref=case_ref, export_id=export_id
        )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<case_ref>/exports/<export_id>/download")
@role_required("lawyer")
def export_download(reference: str, case_ref: str, export_id: str):
    _, casefile, found = _load_export(reference, case_ref, export_id)
    if not service.download_ready(found):
        flash("This export is not ready (or it failed); see its status.", "info")
        return _to_status(reference, case_ref, export_id)
    chunks = committed(lambda: service.download_or_refusal(casefile, found, current_user))
    if isinstance(chunks, CaseFileError):
        return error_response(403, chunks.message)
    name = service.download_name(casefile, found)
    response = Response(chunks, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return sandbox_evidence(response)
