"""Translation views: start a draft, the translation beside its original, edit, seal."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, undefer

from app.form_submission import saved, submit_form
from app.intake import bp, pages
from app.intake.errors import SealedTranslationError, UnreadableHereError
from app.intake.forms.translations import SealTranslationForm, TranslationForm
from app.intake.models import Interview, Translation
from app.intake.routes.interviews import load_interview
from app.intake.services import translation_sealing
from app.intake.services.reads import record_testimony_read
from app.intake.services.translation_versions import TranslationVersion, translation_versions
from app.intake.services.translations import (
    WHOLE_TESTIMONY,
    source_hash_of,
    start_translation,
    update_translation,
)
from app.intake.textinput import looks_like_row_id
from app.intake.views import interview_view
from app.intake.visibility import (
    may_edit_translation,
    may_revise_translation,
    translation_or_404,
)
from app.investigations.viewer import InvestigationViewer, viewer_for
from app.security.org_keys import intake_only


def readable_interview(viewer: InvestigationViewer, interview_id: str) -> Interview:
    """The testimony, through the one scope; an intake-only node cannot read it to translate."""
    if intake_only():
        raise UnreadableHereError()
    return load_interview(viewer, interview_id)


def load_translation(
    viewer: InvestigationViewer, interview: Interview, translation_id: str
) -> Translation:
    return translation_or_404(
        viewer,
        interview,
        translation_id,
        undefer(Translation.text),
        joinedload(Translation.translator),
        joinedload(Translation.reviser),
    )


def original_of(interview: Interview, addendum_id: str | None) -> dict:
    """The authoritative text a translation translates: the transcript, or one addendum."""
    if addendum_id is None:
        return {
            "addendum": None,
            "text": interview.transcript or "",
            "hash": interview.content_hash,
        }
    addendum = next(a for a in interview.addenda if a.id == addendum_id)
    return {"addendum": addendum, "text": addendum.text, "hash": addendum.content_hash}


def form_choices(form: TranslationForm) -> None:
    offered = pages.language_choices()["languages"]
    form.source_language.choices = offered
    form.target_language.choices = offered


def fill_new(form: TranslationForm, viewer: InvestigationViewer, interview: Interview) -> None:
    """What the links on the testimony page ask for: which text, or which version to correct."""
    args = request.args
    supersedes = args.get("supersedes", "")
    if supersedes:
        previous = load_translation(viewer, interview, supersedes)
        form.fill_from(previous)
        form.supersedes_id.data = previous.id
        form.source.data = previous.addendum_id or WHOLE_TESTIMONY
    else:
        form.source.data = args.get("source", WHOLE_TESTIMONY)[:40]
        spoken = (interview.languages or "").split()
        form.source_language.data = spoken[0] if spoken else ""
        form.target_language.data = "en" if spoken[:1] != ["en"] else ""
    addendum_id = None if form.source.data == WHOLE_TESTIMONY else form.source.data
    if addendum_id is not None and not looks_like_row_id(addendum_id):
        abort(404)
    known = source_hash_of(interview, addendum_id)
    if known is None and interview.is_sealed:
        abort(404)
    form.source_hash.data = known or ""


def draft_page(
    viewer: InvestigationViewer, interview: Interview, form: TranslationForm, record=None
):
    source = form.source.data if record is None else (record.addendum_id or WHOLE_TESTIMONY)
    addendum_id = None if source == WHOLE_TESTIMONY else source
    known = interview.is_sealed and source_hash_of(interview, addendum_id) is not None
    return lambda status: (
        render_template(
            "intake/translations/form.html",
            investigation=viewer.investigation,
            interview=interview_view(interview),
            original=original_of(interview, addendum_id) if known else None,
            form=form,
            translation=record,
        ),
        status,
    )


def translation_saved(reference: str, interview: Interview, record: Translation, message: str):
    return saved(
        message,
        "intake.translation",
        reference=reference,
        interview_id=interview.id,
        translation_id=record.id,
    )


def submit_draft(viewer, interview, form: TranslationForm, call, record=None):
    """The draft form: the original is shown beside it (a recorded read), then saved or shown."""
    record_testimony_read(viewer, interview)
    message = _("Translation draft saved. A second person revises and seals it.")
    return submit_form(
        form,
        call,
        done=lambda saved_row: translation_saved(
            viewer.investigation.reference, interview, record or saved_row, message
        ),
        page=draft_page(viewer, interview, form, record),
    )


def not_sealed_yet(reference: str, interview: Interview):
    flash(_("Only sealed testimony can be translated: seal it first."), "error")
    return redirect(url_for("intake.interview", reference=reference, interview_id=interview.id))


def new_form(viewer: InvestigationViewer, interview: Interview) -> TranslationForm:
    form = TranslationForm()
    form_choices(form)
    if not form.is_submitted():
        fill_new(form, viewer, interview)
    return form


def edit_form(viewer: InvestigationViewer, interview: Interview, translation_id: str):
    """The translator's own draft and its form; 409 once sealed, 403 for anyone else."""
    record = load_translation(viewer, interview, translation_id)
    if record.is_sealed:
        raise SealedTranslationError()
    if not may_edit_translation(viewer, record):
        abort(403)
    form = TranslationForm()
    form_choices(form)
    if not form.is_submitted():
        form.fill_from(record)
    return record, form


@bp.route("/interviews/<interview_id>/translations/new", methods=["GET", "POST"])
def new_translation(reference: str, interview_id: str):
    viewer = viewer_for(reference)
    interview = readable_interview(viewer, interview_id)
    if request.method == "GET" and not interview.is_sealed:
        return not_sealed_yet(reference, interview)
    form = new_form(viewer, interview)
    start = lambda: start_translation(interview, current_user, form.to_source(), form.to_input())  # noqa: E731
    return submit_draft(viewer, interview, form, start)


@bp.route("/interviews/<interview_id>/translations/<translation_id>")
def translation(reference: str, interview_id: str, translation_id: str):
    viewer = viewer_for(reference)
    interview = readable_interview(viewer, interview_id)
    record = load_translation(viewer, interview, translation_id)
    return translation_page(viewer, interview, record, SealTranslationForm())


def translation_page(
    viewer: InvestigationViewer,
    interview: Interview,
    record: Translation,
    seal_form: SealTranslationForm,
    status: int = 200,
):
    record_testimony_read(viewer, interview)  # the original and its translation: a read
    versions = {v.translation.id: v for v in translation_versions(viewer, interview)}
    version = versions.get(record.id) or TranslationVersion(record, False, ())
    return render_template(
        "intake/translations/detail.html",
        investigation=viewer.investigation,
        interview=interview_view(interview),
        original=original_of(interview, record.addendum_id),
        version=version,
        translation=record,
        may_edit=may_edit_translation(viewer, record),
        may_revise=may_revise_translation(viewer, record),
        seal_form=seal_form,
    ), status


@bp.route("/interviews/<interview_id>/translations/<translation_id>/edit", methods=["GET", "POST"])
def edit_translation(reference: str, interview_id: str, translation_id: str):
    viewer = viewer_for(reference)
    interview = readable_interview(viewer, interview_id)
    record, form = edit_form(viewer, interview, translation_id)
    update = lambda: update_translation(record, current_user, form.to_input())  # noqa: E731
    return submit_draft(viewer, interview, form, update, record)


@bp.route("/interviews/<interview_id>/translations/<translation_id>/seal", methods=["POST"])
def seal_translation(reference: str, interview_id: str, translation_id: str):
    viewer = viewer_for(reference)
    interview = readable_interview(viewer, interview_id)
    record, form = load_translation(viewer, interview, translation_id), SealTranslationForm()
    message = _(
        "Translation sealed. Its content hash and the original's are in the custody ledger."
    )
    return submit_form(
        form,
        lambda: translation_sealing.seal_translation(record, interview, current_user),
        done=lambda _hash: translation_saved(reference, interview, record, message),
        page=lambda status: translation_page(viewer, interview, record, form, status),
    )
