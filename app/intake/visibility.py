"""Which intake records (incidents, witnesses, testimony) a viewer sees and may change.

The viewer and its rules live in `app.investigations.viewer` (membership, reviewers see all,
field staff only their own submissions); this module names, per intake kind, which column says
who submitted a row, and the intake-specific rules for changing a visible record:
- every member sees every incident of the investigation;
- witnesses and interviews are submissions: field staff see only those they created. Another
  field worker's record answers 404, exactly like a record that does not exist, so ids cannot
  be probed;
- witness identities only with the membership's `may_see_identities` flag (see views.py);
- translations of testimony go with the testimony: whoever sees a testimony sees its
  translations (drafts included: they hold nothing the original does not), nobody else.
  Only the translator edits a draft; anyone else who sees the testimony may revise and seal
  it, so the reviser is always a second person (docs/translations.md).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import Select, select

from app.extensions import db
from app.intake.models import Incident, Interview, Translation, Witness
from app.intake.textinput import looks_like_row_id
from app.investigations.viewer import InvestigationViewer, ledger_object_kind
from app.security.refusals import refuse

# --- Scoped queries -------------------------------------------------------------------------


def visible_incidents(stmt: Select, viewer: InvestigationViewer) -> Select:
    return viewer.scope(stmt, Incident)


def visible_witnesses(stmt: Select, viewer: InvestigationViewer) -> Select:
    return viewer.scope(stmt, Witness, submitted_by=Witness.created_by_id)


def visible_interviews(stmt: Select, viewer: InvestigationViewer) -> Select:
    return viewer.scope(stmt, Interview, submitted_by=Interview.created_by_id)


@ledger_object_kind("testimony")
@ledger_object_kind("interview")
def visible_interview_ids(viewer: InvestigationViewer) -> Select:
    """Subquery of the interviews the viewer may see (for has-testimony style filters)."""
    return visible_interviews(select(Interview.id), viewer)


def visible_translations(stmt: Select, viewer: InvestigationViewer) -> Select:
    """Translations of the testimony the viewer sees: the testimony's scope, nothing more."""
    return viewer.scope(stmt, Translation).where(
        Translation.interview_id.in_(visible_interview_ids(viewer))
    )


# Ledger entries about an object are shown to whoever may see the object (viewer.ledger_scope).
@ledger_object_kind("witness")
def visible_witness_ids(viewer: InvestigationViewer) -> Select:
    return visible_witnesses(select(Witness.id), viewer)


@ledger_object_kind("incident")
def visible_incident_ids(viewer: InvestigationViewer) -> Select:
    return visible_incidents(select(Incident.id), viewer)


# --- Getters: 404 for anything outside the viewer's scope -------------------------------------


def incident_or_404(viewer: InvestigationViewer, incident_id: str, *options: Any) -> Incident:
    _row_id_or_404(incident_id)
    stmt = visible_incidents(select(Incident), viewer).where(Incident.id == incident_id)
    return _one_or_404(stmt.options(*options))


def witness_or_404(viewer: InvestigationViewer, witness_id: str, *options: Any) -> Witness:
    _row_id_or_404(witness_id)
    stmt = visible_witnesses(select(Witness), viewer).where(Witness.id == witness_id)
    return _one_or_404(stmt.options(*options))


def interview_or_404(viewer: InvestigationViewer, interview_id: str, *options: Any) -> Interview:
    _row_id_or_404(interview_id)
    stmt = visible_interviews(select(Interview), viewer).where(Interview.id == interview_id)
    return _one_or_404(stmt.options(*options))


def translation_or_404(
    viewer: InvestigationViewer, interview: Interview, translation_id: str, *options: Any
) -> Translation:
    _row_id_or_404(translation_id)
    stmt = visible_translations(select(Translation), viewer).where(
        Translation.id == translation_id, Translation.interview_id == interview.id
    )
    return _one_or_404(stmt.options(*options))


def _row_id_or_404(value: str) -> None:
    if not looks_like_row_id(value):
        abort(404)


def _one_or_404(stmt: Select) -> Any:
    obj = db.session.scalar(stmt)
    if obj is None:
        refuse(404, "not_visible_to_this_member_or_missing")
    return obj


# --- Who may change what (visible records only; the caller got them through the getters) ------


def may_edit_incident(viewer: InvestigationViewer, incident: Incident) -> bool:
    return viewer.sees_all or viewer.is_author(incident.created_by_id)


def may_edit_witness(viewer: InvestigationViewer, witness: Witness) -> bool:
    # Changing identity fields is only for those who may read them, or the one who wrote them.
    return viewer.is_author(witness.created_by_id) or (
        viewer.sees_all and viewer.may_see_identities
    )


def may_reveal_identity(viewer: InvestigationViewer, witness: Witness) -> bool:
    # The grant alone: a reviewer without it, or the field worker who registered the witness,
    # cannot reveal what docs/security.md keeps from them.
    return viewer.may_see_identities


def may_see_interpreter_identity(viewer: InvestigationViewer, interview: Interview) -> bool:
    # An external interpreter's identity is sealed like a witness's, and shown like one: to
    # the identities grant, and to the author who wrote it down.
    return viewer.may_see_identities or viewer.is_author(interview.created_by_id)


def may_record_consent(viewer: InvestigationViewer, witness: Witness) -> bool:
    # A withdrawal can reach any reviewer (a phone call to the lawyer); it must be recordable.
    return viewer.is_author(witness.created_by_id) or viewer.sees_all


def may_edit_interview(viewer: InvestigationViewer, interview: Interview) -> bool:
    # Testimony is the interviewer's record: reviewers read it, only its author writes it.
    return viewer.is_author(interview.created_by_id)


def may_add_addendum(viewer: InvestigationViewer, interview: Interview) -> bool:
    return viewer.is_author(interview.created_by_id) or viewer.sees_all


def may_edit_translation(viewer: InvestigationViewer, translation: Translation) -> bool:
    # A draft is its translator's work: the reviser reads it and seals it, or sends it back.
    return viewer.is_author(translation.translator_id) and not translation.is_sealed


def may_revise_translation(viewer: InvestigationViewer, translation: Translation) -> bool:
    # A second person: whoever sees the testimony, except the one who translated it.
    return not viewer.is_author(translation.translator_id) and not translation.is_sealed
