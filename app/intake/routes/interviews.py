"""Interview views: list, new draft, the testimony page, edit, evidence links, seal, addenda."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload, undefer_group

from app.accesslog.services import reads_of
from app.drafts.declare import keeps_drafts
from app.form_submission import saved, submit_form
from app.intake import bp, pages, receipt_lists
from app.intake.errors import SealedTestimonyError, UnreadableHereError
from app.intake.file_cards import cards_by_id, file_cards
from app.intake.forms.interviews import (
    AddendumForm,
    InterviewForm,
    LanguagesFixForm,
    LinkEvidenceForm,
    SealForm,
    UnlinkEvidenceForm,
)
from app.intake.models import Addendum, Interview, InterviewEvidence
from app.intake.models.interviews import TESTIMONY_GROUP
from app.intake.receipts import INTERVIEW_RECEIPT_LOAD
from app.intake.routes.page_context import page_number, receipt_list_page, vault_links
from app.intake.services.interview_languages import fix_languages
from app.intake.services.interviews import (
    create_interview,
    linkable_evidence,
    update_interview,
)
from app.intake.services.reads import record_testimony_read
from app.intake.services.sealing import (
    add_addendum,
    create_and_seal,
    seal_problems,
    seal_testimony,
)
from app.intake.services.translation_versions import translation_versions
from app.intake.views import interview_view
from app.intake.visibility import (
    interview_or_404,
    may_add_addendum,
    may_edit_interview,
    may_see_interpreter_identity,
)
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.org_keys import intake_only

# What the file picker offers (a phone offers its camera for image/*, video/*, audio/*).
ACCEPTED_FILES = "image/*,video/*,audio/*,application/pdf,text/plain"

# What a draft of the interview form keeps (app/drafts): all it asks, not its idempotency key.
INTERVIEW_DRAFT_FIELDS = (
    "witness_id",
    "interviewer_id",
    "conducted_on",
    "place",
    "languages",
    "interpreter_present",
    "interpreter_user_id",
    "interpreter_code",
    "interpreter",
    "interpreted_from",
    "interpreted_to",
    "read_back",
    "read_back_language",
    "mode",
    "incident_ids",
    "first_hand",
    "transcript",
    "notes",
)


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


def ensure_editable(viewer: InvestigationViewer, interview: Interview) -> Interview:
    """403 unless the viewer may change this draft; sealed testimony answers 409 (refusals.py),
    and so does any draft on an intake-only node, which cannot read back what it stored."""
    if not may_edit_interview(viewer, interview):
        abort(403)
    if interview.is_sealed:
        raise SealedTestimonyError()
    if intake_only():
        raise UnreadableHereError()
    return interview


def editable_interview(viewer: InvestigationViewer, interview_id: str) -> Interview:
    return ensure_editable(viewer, load_interview(viewer, interview_id))


def to_interview(reference: str, interview_id: str, message: str | None = None):
    """Back to the testimony page, saying what was done when there is something to say."""
    if message:
        flash(message, "success")
    return redirect(url_for("intake.interview", reference=reference, interview_id=interview_id))


def seal_page(viewer: InvestigationViewer, record: Interview, form: SealForm):
    return lambda status: (
        render_template(
            "intake/interviews/seal.html",
            investigation=viewer.investigation,
            interview=interview_view(record),
            attached=cards_by_id(viewer, [link.evidence_id for link in record.evidence_links]),
            form=form,
            problems=form.problems + form.form_errors,
        ),
        status,
    )


def form_page(viewer: InvestigationViewer, form: InterviewForm, interview: Interview | None = None):
    return lambda status: (
        render_template(
            "intake/interviews/form.html",
            investigation=viewer.investigation,
            form=form,
            interview=interview_view(interview, True) if interview else None,
        ),
        status,
    )


def record_interview(viewer: InvestigationViewer, form: InterviewForm) -> Interview:
    """A new draft; on an intake-only node "save and seal" seals it in the same request."""
    data, client_id = form.to_input(), form.client_id.data
    if intake_only() and form.save_and_seal.data:
        return create_and_seal(viewer.investigation, current_user, data, client_id)
    return create_interview(viewer.investigation, current_user, data, client_id=client_id)


def after_save(reference: str, interview: Interview, form: InterviewForm):
    """To the seal page when that button was pressed, else back to the testimony page."""
    if intake_only():
        message = _("Testimony sealed.") if interview.is_sealed else _("Draft saved.")
        return to_interview(reference, interview.id, message)
    if form.save_and_seal.data:
        return redirect(
            url_for("intake.seal_interview", reference=reference, interview_id=interview.id)
        )
    flash(_("Draft saved. You can continue later."), "success")
    return redirect(url_for("intake.interview", reference=reference, interview_id=interview.id))


@bp.route("/interviews")
def interviews(reference: str):
    viewer = viewer_for(reference)
    if intake_only():
        return receipt_list_page(viewer, receipt_lists.interview_receipts(viewer, page_number()))
    status = request.args.get("status", "")[:8]
    context = pages.interview_list(viewer, status, page_number())
    return render_template("intake/interviews/list.html", **context)


@bp.route("/interviews/new", methods=["GET", "POST"])
@keeps_drafts(*INTERVIEW_DRAFT_FIELDS)
def new_interview(reference: str):
    viewer = viewer_for(reference)
    form = InterviewForm.with_choices(pages.interview_choices(viewer, current_user))
    if not form.is_submitted():
        args = request.args
        form.fill_new(args.get("witness", ""), current_user.id, args.get("incident"))
    return submit_form(
        form,
        lambda: record_interview(viewer, form),
        done=lambda interview: after_save(reference, interview, form),
        page=form_page(viewer, form),
    )


@bp.route("/interviews/<interview_id>")
def interview(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    if intake_only():
        # The receipt, from the columns this node's database role may read back.
        record = interview_or_404(viewer, interview_id, *INTERVIEW_RECEIPT_LOAD)
        return detail_page(viewer, record, AddendumForm())
    return detail_page(viewer, load_interview(viewer, interview_id), AddendumForm())


def detail_page(
    viewer: InvestigationViewer,
    record: Interview,
    addendum_form: AddendumForm,
    status=200,
    upload_outcomes=None,
    languages_form: LanguagesFixForm | None = None,
    upload_sent: dict | None = None,
):
    if intake_only():
        return render_template(
            "intake/receipts/interview.html",
            investigation=viewer.investigation,
            interview=interview_view(record),
        ), status
    record_testimony_read(viewer, record)  # the page shows the testimony: a recorded read
    may_edit = may_edit_interview(viewer, record) and not record.is_sealed
    link_form, pickable = None, []
    if may_edit:
        # Nothing ticked: the person picks what belongs to this testimony (issue 18, item 5).
        pickable = file_cards(viewer, linkable_evidence(record, current_user))
        link_form = LinkEvidenceForm()
        link_form.evidence_id.choices = [(card.evidence_id, card.name) for card in pickable]
    return render_template(
        "intake/interviews/detail.html",
        investigation=viewer.investigation,
        interview=interview_view(record, may_see_interpreter_identity(viewer, record)),
        may_edit=may_edit,
        may_add_addendum=record.is_sealed and may_add_addendum(viewer, record),
        link_form=link_form,
        pickable=pickable,
        attached=cards_by_id(viewer, [link.evidence_id for link in record.evidence_links]),
        upload_outcomes=upload_outcomes or [],
        upload_sent=upload_sent or {},
        accept=ACCEPTED_FILES,
        unlink_form=UnlinkEvidenceForm(),
        addendum_form=addendum_form,
        languages_form=languages_fix_form(viewer, record, languages_form),
        access_reads=reads_of(viewer, "testimony", record.id),
        translations=translation_versions(viewer, record) if record.is_sealed else [],
        **vault_links(viewer.investigation.reference),
    ), status


def languages_fix_form(
    viewer: InvestigationViewer, record: Interview, form: LanguagesFixForm | None
) -> LanguagesFixForm | None:
    """The form choosing the codes of a flagged free-text language, for who may fix it."""
    if not (record.language_to_fix and may_add_addendum(viewer, record)):
        return None
    form = form or LanguagesFixForm()
    form.languages.choices = pages.language_choices()["languages"]
    return form


@bp.route("/interviews/<interview_id>/languages", methods=["POST"])
def fix_interview_languages(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record, form = load_interview(viewer, interview_id), LanguagesFixForm()
    return submit_form(
        form,
        lambda: fix_languages(record, current_user, list(form.languages.data or [])),
        done=lambda _codes: to_interview(reference, record.id, _("Languages recorded.")),
        page=lambda status: detail_page(viewer, record, AddendumForm(), status, None, form),
    )


@bp.route("/interviews/<interview_id>/edit", methods=["GET", "POST"])
@keeps_drafts(*INTERVIEW_DRAFT_FIELDS)
def edit_interview(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    if record.is_sealed and request.method != "POST" and may_edit_interview(viewer, record):
        flash(_("This testimony is sealed. Add an addendum to correct it."), "info")
        return to_interview(reference, record.id)
    ensure_editable(viewer, record)
    form = InterviewForm.with_choices(pages.interview_choices(viewer, current_user))
    if not form.is_submitted():
        form.fill_from(record)
    return submit_form(
        form,
        lambda: update_interview(record, current_user, form.to_input()),
        done=lambda _saved: after_save(reference, record, form),
        page=form_page(viewer, form, record),
    )


@bp.route("/interviews/<interview_id>/seal", methods=["GET", "POST"])
def seal_interview(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = editable_interview(viewer, interview_id)
    form = SealForm(problems=[error.message for error in seal_problems(record)])
    return submit_form(
        form,
        lambda: seal_testimony(record, current_user),
        done=lambda _sealed: saved(
            _("Testimony sealed. Its content hash is in the custody ledger."),
            "intake.interview",
            reference=reference,
            interview_id=record.id,
        ),
        page=seal_page(viewer, record, form),
    )


@bp.route("/interviews/<interview_id>/addenda", methods=["POST"])
@keeps_drafts("text")
def add_interview_addendum(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    record = load_interview(viewer, interview_id)
    if not may_add_addendum(viewer, record):
        abort(403)
    form = AddendumForm()
    return submit_form(
        form,
        lambda: add_addendum(record, current_user, form.text.data or ""),
        done=lambda _added: to_interview(reference, record.id, _("Addendum added and sealed.")),
        page=lambda status: detail_page(
            viewer, load_interview(viewer, interview_id), form, status=status
        ),
    )
