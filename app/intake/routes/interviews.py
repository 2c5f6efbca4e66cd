"""Interview views: list, new draft, the testimony page, edit, evidence links, seal, addenda."""

from __future__ import annotations

from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload, undefer_group

from app.extensions import db
from app.intake import bp
from app.intake.errors import (
    IntakeValidationError,
    SealedTestimonyError,
)
from app.intake.forms import show_service_errors
from app.intake.forms.interviews import (
    AddendumForm,
    InterviewForm,
    LinkEvidenceForm,
    SealForm,
    UnlinkEvidenceForm,
)
from app.intake.models import Addendum, Incident, Interview, InterviewEvidence, Witness
from app.intake.models.interviews import TESTIMONY_GROUP
from app.intake.routes.page_context import (
    COMMON_LANGUAGES,
    page_number,
    sealed_response,
    vault_links,
)
from app.intake.routes.witnesses import member_choices
from app.intake.services import search
from app.intake.services.interviews import (
    create_interview,
    link_evidence,
    linkable_evidence,
    unlink_evidence,
    update_interview,
)
from app.intake.services.sealing import add_addendum, seal_problems, seal_testimony
from app.intake.views import interview_view
from app.intake.visibility import (
    interview_or_404,
    may_add_addendum,
    may_edit_interview,
    visible_incidents,
    visible_witnesses,
)
from app.investigations.viewer import InvestigationViewer, viewer_for


def load_interview(viewer: InvestigationViewer, interview_id: str) -> Interview:
    return interview_or_404(
        viewer,
        interview_id,
        undefer_group(TESTIMONY_GROUP),
        joinedload(Interview.witness),
        selectinload(Interview.incidents),
        selectinload(Interview.evidence_links).joinedload(InterviewEvidence.evidence),
        selectinload(Interview.addenda).joinedload(Addendum.author),
    )


def editable_or_refuse(viewer: InvestigationViewer, interview: Interview):
    """None when the viewer may change this draft now; otherwise the response to send."""
    if not may_edit_interview(viewer, interview):
        abort(403)
    if interview.is_sealed:
        return sealed_response()
    return None


def set_interview_choices(form: InterviewForm, viewer: InvestigationViewer) -> None:
    witnesses = db.session.execute(
        visible_witnesses(select(Witness.id, Witness.code), viewer).order_by(Witness.number.desc())
    )
    form.witness_id.choices = [("", _("— choose —"))] + [(i, code) for i, code in witnesses]
    if viewer.sees_all:
        form.interviewer_id.choices = member_choices(viewer)
    else:
        form.interviewer_id.choices = [
            (current_user.id, f"{current_user.name} ({current_user.email})")
        ]
    incidents = db.session.scalars(
        visible_incidents(select(Incident), viewer).order_by(Incident.occurred_from.desc())
    )
    form.incident_ids.choices = [
        (i.id, f"{i.occurred_from:%Y-%m-%d} — {i.place_name}") for i in incidents
    ]


def form_page(viewer: InvestigationViewer, form: InterviewForm, interview: Interview | None = None):
    return render_template(
        "intake/interviews/form.html",
        investigation=viewer.investigation,
        form=form,
        interview=interview_view(interview) if interview else None,
        languages=COMMON_LANGUAGES,
    ), 400 if form.errors else 200


def after_save(reference: str, interview: Interview, form: InterviewForm):
    if form.save_and_seal.data:
        return redirect(
            url_for("intake.seal_interview", reference=reference, interview_id=interview.id)
        )
    flash(_("Draft saved. You can continue later."), "success")
    return redirect(url_for("intake.interview", reference=reference, interview_id=interview.id))


@bp.route("/interviews")
def interviews(reference: str):
    viewer = viewer_for(reference)
    status = request.args.get("status", "")[:8]
    return render_template(
        "intake/interviews/list.html",
        investigation=viewer.investigation,
        page=search.list_interviews(viewer, status=status, page=page_number()),
        status=status,
        query={"status": status} if status else {},
    )


@bp.route("/interviews/new", methods=["GET", "POST"])
def new_interview(reference: str):
    viewer = viewer_for(reference)
    form = InterviewForm()
    set_interview_choices(form, viewer)
    if not form.is_submitted():
        form.client_id.data = str(uuid4())
        form.witness_id.data = request.args.get("witness", "")
        form.interviewer_id.data = current_user.id
        incident = request.args.get("incident")
        form.incident_ids.data = [incident] if incident else []
    if form.validate_on_submit():
        try:
            interview = create_interview(
                viewer.investigation, current_user, form.to_input(), client_id=form.client_id.data
            )
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            return after_save(reference, interview, form)
    return form_page(viewer, form)


@bp.route("/interviews/<interview_id>")
def interview(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    return detail_page(viewer, load_interview(viewer, interview_id), AddendumForm())


def detail_page(
    viewer: InvestigationViewer, record: Interview, addendum_form: AddendumForm, status=200
):
    may_edit = may_edit_interview(viewer, record) and not record.is_sealed
    link_form = None
    if may_edit:
        link_form = LinkEvidenceForm()
        link_form.evidence_id.choices = evidence_choices(record)
    return render_template(
        "intake/interviews/detail.html",
        investigation=viewer.investigation,
        interview=interview_view(record),
        may_edit=may_edit,
        may_add_addendum=record.is_sealed and may_add_addendum(viewer, record),
        link_form=link_form,
        unlink_form=UnlinkEvidenceForm(),
        addendum_form=addendum_form,
        **vault_links(viewer.investigation.reference),
    ), status


def evidence_choices(record: Interview) -> list[tuple[str, str]]:
    return [
        (item.id, f"{item.original_filename} · {item.kind} · {item.received_at:%Y-%m-%d %H:%M}")
        for item in linkable_evidence(record, current_user)
    ]


@bp.route("/interviews/<interview_id>/edit", methods=["GET", "POST"])
def edit_interview(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    if not may_edit_interview(viewer, record):
        abort(403)
    if record.is_sealed:
        if request.method == "POST":
            return sealed_response()
        flash(_("This testimony is sealed. Add an addendum to correct it."), "info")
        return redirect(url_for("intake.interview", reference=reference, interview_id=record.id))
    form = InterviewForm()
    set_interview_choices(form, viewer)
    if not form.is_submitted():
        form.fill_from(record)
    if form.validate_on_submit():
        try:
            update_interview(record, current_user, form.to_input())
        except SealedTestimonyError:
            db.session.rollback()
            return sealed_response()
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            return after_save(reference, record, form)
    return form_page(viewer, form, record)


@bp.route("/interviews/<interview_id>/evidence", methods=["POST"])
def link_interview_evidence(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    refusal = editable_or_refuse(viewer, record)
    if refusal is not None:
        return refusal
    form = LinkEvidenceForm()
    form.evidence_id.choices = evidence_choices(record)
    if not form.validate_on_submit():
        flash(_("Choose one of your uploads to attach."), "error")
        return redirect(url_for("intake.interview", reference=reference, interview_id=record.id))
    try:
        link_evidence(record, current_user, form.evidence_id.data, form.role.data)
    except IntakeValidationError as exc:
        db.session.rollback()
        for error in exc.errors:
            flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("File attached to the interview."), "success")
    return redirect(url_for("intake.interview", reference=reference, interview_id=record.id))


@bp.route("/interviews/<interview_id>/evidence/remove", methods=["POST"])
def unlink_interview_evidence(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    refusal = editable_or_refuse(viewer, record)
    if refusal is not None:
        return refusal
    form = UnlinkEvidenceForm()
    if not form.validate_on_submit() or not form.evidence_id.data:
        abort(400)
    try:
        unlink_evidence(record, current_user, form.evidence_id.data)
    except IntakeValidationError as exc:
        db.session.rollback()
        for error in exc.errors:
            flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("File removed from the interview (it stays in the vault)."), "success")
    return redirect(url_for("intake.interview", reference=reference, interview_id=record.id))


@bp.route("/interviews/<interview_id>/seal", methods=["GET", "POST"])
def seal_interview(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    refusal = editable_or_refuse(viewer, record)
    if refusal is not None:
        return refusal
    form = SealForm()
    problems = [error.message for error in seal_problems(record)]
    if form.validate_on_submit() and not problems:
        try:
            seal_testimony(record, current_user)
        except SealedTestimonyError:
            db.session.rollback()
            return sealed_response()
        except IntakeValidationError as exc:
            db.session.rollback()
            problems = [error.message for error in exc.errors]
        else:
            db.session.commit()
            flash(_("Testimony sealed. Its content hash is in the custody ledger."), "success")
            return redirect(
                url_for("intake.interview", reference=reference, interview_id=record.id)
            )
    refused = request.method == "POST" and (form.errors or problems)
    status = 400 if refused else 200
    return render_template(
        "intake/interviews/seal.html",
        investigation=viewer.investigation,
        interview=interview_view(record),
        form=form,
        problems=problems,
    ), status


@bp.route("/interviews/<interview_id>/addenda", methods=["POST"])
def add_interview_addendum(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    if not may_add_addendum(viewer, record):
        abort(403)
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            add_addendum(record, current_user, form.text.data or "")
        except IntakeValidationError as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Addendum added and sealed."), "success")
            return redirect(
                url_for("intake.interview", reference=reference, interview_id=record.id)
            )
    return detail_page(viewer, load_interview(viewer, interview_id), form, status=400)
