"""Views: start an export (background job), watch its progress, download the result."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.auth.roles import role_required
from app.casefiles import bp
from app.casefiles.forms import ExportForm
from app.casefiles.routes.context import load_case, refuse
from app.casefiles.services import exports as service
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.export_bagit import ExportRequest
from app.extensions import db
from app.security.rate_limits import export_limit


@bp.route("/<case_ref>/export", methods=["GET", "POST"])
@role_required("lawyer")
@export_limit
def export(reference: str, case_ref: str):
    investigation, casefile = load_case(reference, case_ref)
    form = ExportForm()
    form.named_witnesses.choices = service.nameable_witnesses(investigation, casefile, current_user)
    status = 200
    if form.validate_on_submit():
        try:
            export_request = ExportRequest(
                destination=form.destination.data,
                unencrypted_reason=form.unencrypted_reason.data,
                location_precision=service.parse_precision(form.location_precision.data),
                files=form.files.data,
                for_whom=form.for_whom.data,
                recipient=form.recipient.data,
                named_witness_ids=tuple(form.named_witnesses.data or ()),
            )
            started = service.start_export(investigation, casefile, current_user, export_request)
        except CaseFileError as exc:
            db.session.rollback()
            refuse(exc, form)
            status = exc.status
        else:
            db.session.commit()
            return redirect(
                url_for(
                    ".export_status", reference=reference, case_ref=case_ref, export_id=started.id
                )
            )
    elif request.method == "POST":
        status = 400
    plans = service.export_plans(investigation, casefile, current_user)
    return render_template(
        "casefiles/export.html",
        investigation=investigation,
        casefile=casefile,
        form=form,
        plans=plans,
    ), status


def _export_or_404(casefile, export_id: str):
    found = service.export_for(casefile, export_id, current_user)
    if found is None:
        abort(404)
    return found


@bp.route("/<case_ref>/exports/<export_id>")
@role_required("lawyer")
def export_status(reference: str, case_ref: str, export_id: str):
    investigation, casefile = load_case(reference, case_ref)
    found = _export_or_404(casefile, export_id)
    return render_template(
        "casefiles/export_status.html",
        investigation=investigation,
        casefile=casefile,
        export=found,
        progress=service.job_progress(found),
        ready=service.download_ready(found),
        retry_form=ConfirmForm(),
        destination_label=service.destination_label(found),
    )


@bp.route("/<case_ref>/exports/<export_id>/retry", methods=["POST"])
@role_required("lawyer")
@export_limit
def export_retry(reference: str, case_ref: str, export_id: str):
    """ "Try again" on a failed export: the same request, run once more."""
    _, casefile = load_case(reference, case_ref)
    found = _export_or_404(casefile, export_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if service.retry_export(found):
        flash(gettext("The export is starting again."), "success")
    else:
        flash(gettext("Only a failed export can be tried again."), "info")
    return redirect(
        url_for(".export_status", reference=reference, case_ref=case_ref, export_id=export_id)
    )


@bp.route("/<case_ref>/exports/<export_id>/progress")
@role_required("lawyer")
def export_progress(reference: str, case_ref: str, export_id: str):
    """JSON for static/js/job_progress.js: state, progress 0-100, message, and where to go."""
    _, casefile = load_case(reference, case_ref)
    found = _export_or_404(casefile, export_id)
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
    _, casefile = load_case(reference, case_ref)
    found = _export_or_404(casefile, export_id)
    if not service.download_ready(found):
        flash("This export is not ready (or it failed); see its status.", "info")
        return redirect(
            url_for(".export_status", reference=reference, case_ref=case_ref, export_id=export_id)
        )
    try:
        chunks = service.open_download(casefile, found, current_user)
    except CaseFileError as exc:
        db.session.commit()  # a withdrawal found now is recorded all the same
        return render_template("errors/error.html", code=exc.status, message=exc.message), 403
    db.session.commit()
    name = service.download_name(casefile, found)
    response = Response(chunks, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
