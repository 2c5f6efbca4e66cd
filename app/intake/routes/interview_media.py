"""Interview views for its files: upload several and attach them in one step, pick, detach.

Uploads go through the vault's one intake (app/vault/upload/request.py): the CSRF token is
checked in the stream before any byte is stored, each file is hashed and encrypted as it
arrives, and it is attached to the draft in the transaction that records it.
"""

from __future__ import annotations

from flask import abort, flash
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.error_responses import error_response
from app.extensions import csrf
from app.form_submission import commit_or_flash, commit_or_refuse
from app.intake import bp
from app.intake.errors import IntakeValidationError
from app.intake.forms.interviews import AddendumForm, LinkEvidenceForm, UnlinkEvidenceForm
from app.intake.routes.interviews import detail_page, editable_interview, to_interview
from app.intake.services.attachments import Attacher, attach_picked
from app.intake.services.interviews import unlink_evidence
from app.investigations.viewer import viewer_for
from app.security.rate_limits import upload_limit
from app.service_errors import ServiceError
from app.vault.upload.multipart import IntakeOutcome
from app.vault.upload.request import UploadNotReceived, multipart_boundary, receive_form_upload


def _attached_message(attacher: Attacher) -> str:
    message = ngettext(
        "%(num)d file attached to the interview.",
        "%(num)d files attached to the interview.",
        len(attacher.attached),
    )
    if attacher.not_recording:
        message += " " + _(
            "Only one audio or video file can be the recording; the others are attachments."
        )
    return message


@bp.route("/interviews/<interview_id>/evidence/upload", methods=["POST"])
@csrf.exempt  # checked in the body stream, before any file byte is stored (vault.upload.multipart)
@upload_limit
def upload_interview_evidence(reference: str, interview_id: str):
    if multipart_boundary() is None:
        csrf.protect()  # a post that is no upload: the ordinary token check comes first
    viewer = viewer_for(reference)
    record = editable_interview(viewer, interview_id)  # 404/403/409 before reading the body
    attacher = Attacher(record, current_user)
    try:
        outcomes = receive_form_upload(
            viewer.investigation, current_user, attacher.form_fields, attacher.on_recorded
        )
    except UploadNotReceived as refused:
        if refused.outcomes:  # say which files were stored before it broke off
            outcomes = refused.outcomes
        elif refused.posted is not None:  # no file chosen: the form back, as it was sent
            return _no_file_page(viewer, record, attacher.form_fields.get("role"))
        else:
            return error_response(refused.status, refused.message)
    except IntakeValidationError as invalid:  # the role: nothing of that file was stored
        return error_response(invalid.status, invalid.field_messages()[0][1])
    return _after_upload(viewer, record, attacher, outcomes)


def _no_file_page(viewer, record, role: str | None):
    """The interview page, its upload form with the choice that was made, saying what is
    missing (announced at the top of the panel and beside the file field)."""
    sent = {"role": role, "error": _("Choose at least one file to upload.")}
    page = editable_interview(viewer, record.id)
    return detail_page(viewer, page, AddendumForm(), status=400, upload_sent=sent)


def _after_upload(viewer, record, attacher: Attacher, outcomes: list[IntakeOutcome]):
    """All stored: back to the interview saying so; else the page, with each file's outcome."""
    refused = [o for o in outcomes if o.refusal is not None]
    if outcomes and not refused:
        flash(_attached_message(attacher), "success")
        return to_interview(viewer.investigation.reference, record.id)
    status = refused[0].refusal.status if refused else 400
    page = editable_interview(viewer, record.id)
    return detail_page(viewer, page, AddendumForm(), status=status, upload_outcomes=outcomes)


@bp.route("/interviews/<interview_id>/evidence", methods=["POST"])
def link_interview_evidence(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = editable_interview(viewer, interview_id)
    form = LinkEvidenceForm()
    if not form.validate_on_submit() or not form.evidence_id.data:
        flash(_("Tick at least one of your uploads to attach."), "error")
        return to_interview(reference, record.id)
    picked = list(form.evidence_id.data)
    outcome = commit_or_refuse(lambda: attach_picked(record, current_user, picked, form.role.data))
    if not isinstance(outcome, ServiceError):
        flash(_attached_message(outcome), "success")
    return to_interview(reference, record.id)


@bp.route("/interviews/<interview_id>/evidence/remove", methods=["POST"])
def unlink_interview_evidence(reference: str, interview_id: str):
    record = editable_interview(viewer_for(reference), interview_id)
    form = UnlinkEvidenceForm()
    if not form.validate_on_submit() or not form.evidence_id.data:
        abort(400)
    commit_or_flash(
        lambda: unlink_evidence(record, current_user, form.evidence_id.data),
        _("File detached from the interview (it stays in the vault)."),
    )
    return to_interview(reference, record.id)
