"""Who sees and changes which intake records: membership (access.py) plus the field-staff rule.

The ONE place for the extra rule layer on top of `app.investigations.access` (DESIGN.md, The
people; issue 5, item 5):
- every member sees every incident of the investigation;
- reviewers (member role lawyer or lead, on an account that is not a field account) see every
  witness and interview of the investigation;
- everyone else (field staff, and any member with the field role) sees only the witnesses and
  interviews they created. Another field worker's record answers 404, exactly like a record
  that does not exist, so ids cannot be probed;
- witness identities only with the membership's `may_see_identities` flag (see views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import Select, select

from app.extensions import db
from app.intake.models import Incident, Interview, Witness
from app.intake.textinput import looks_like_row_id
from app.investigations.access import membership_for, visible
from app.investigations.models import Investigation, MemberRole, Membership
from app.security.refusals import refuse

REVIEWER_MEMBER_ROLES = frozenset({MemberRole.LAWYER.value, MemberRole.LEAD.value})


@dataclass(frozen=True)
class IntakeViewer:
    """A member looking at one investigation's intake, with what the rules grant them."""

    investigation: Investigation
    user: Any
    membership: Membership

    @property
    def sees_all(self) -> bool:
        # Deny by default: a field account stays limited to its own records whatever member
        # role it was given, so a mistaken grant cannot open every testimony to it.
        return self.membership.role in REVIEWER_MEMBER_ROLES and self.user.role != "field"

    @property
    def may_see_identities(self) -> bool:
        return bool(self.membership.may_see_identities)

    def owns(self, record: Witness | Interview | Incident) -> bool:
        return record.created_by_id is not None and record.created_by_id == self.user.id


def intake_viewer(investigation: Investigation, user: Any) -> IntakeViewer:
    """The user's standing in the investigation; 404 for a non-member."""
    membership = membership_for(investigation, user)
    if membership is None:
        refuse(404, "not_a_member")
    return IntakeViewer(investigation=investigation, user=user, membership=membership)


# --- Scoped queries -------------------------------------------------------------------------


def visible_incidents(stmt: Select, viewer: IntakeViewer) -> Select:
    stmt = visible(stmt, Incident, viewer.user)
    return stmt.where(Incident.investigation_id == viewer.investigation.id)


def visible_witnesses(stmt: Select, viewer: IntakeViewer) -> Select:
    stmt = visible(stmt, Witness, viewer.user)
    stmt = stmt.where(Witness.investigation_id == viewer.investigation.id)
    if not viewer.sees_all:
        stmt = stmt.where(Witness.created_by_id == viewer.user.id)
    return stmt


def visible_interviews(stmt: Select, viewer: IntakeViewer) -> Select:
    stmt = visible(stmt, Interview, viewer.user)
    stmt = stmt.where(Interview.investigation_id == viewer.investigation.id)
    if not viewer.sees_all:
        stmt = stmt.where(Interview.created_by_id == viewer.user.id)
    return stmt


def visible_evidence(stmt: Select, viewer: IntakeViewer) -> Select:
    """Evidence items are submissions too: field staff see only what they uploaded."""
    from app.vault.models import EvidenceItem

    stmt = visible(stmt, EvidenceItem, viewer.user)
    stmt = stmt.where(EvidenceItem.investigation_id == viewer.investigation.id)
    if not viewer.sees_all:
        stmt = stmt.where(EvidenceItem.uploaded_by_id == viewer.user.id)
    return stmt


def visible_interview_ids(viewer: IntakeViewer) -> Select:
    """Subquery of the interviews the viewer may see (for has-testimony style filters)."""
    return visible_interviews(select(Interview.id), viewer)


# --- Getters: 404 for anything outside the viewer's scope -------------------------------------


def incident_or_404(viewer: IntakeViewer, incident_id: str, *options: Any) -> Incident:
    _row_id_or_404(incident_id)
    stmt = visible_incidents(select(Incident), viewer).where(Incident.id == incident_id)
    return _one_or_404(stmt.options(*options))


def witness_or_404(viewer: IntakeViewer, witness_id: str, *options: Any) -> Witness:
    _row_id_or_404(witness_id)
    stmt = visible_witnesses(select(Witness), viewer).where(Witness.id == witness_id)
    return _one_or_404(stmt.options(*options))


def interview_or_404(viewer: IntakeViewer, interview_id: str, *options: Any) -> Interview:
    _row_id_or_404(interview_id)
    stmt = visible_interviews(select(Interview), viewer).where(Interview.id == interview_id)
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


def may_edit_incident(viewer: IntakeViewer, incident: Incident) -> bool:
    return viewer.sees_all or viewer.owns(incident)


def may_edit_witness(viewer: IntakeViewer, witness: Witness) -> bool:
    # Changing identity fields is only for those who may read them, or the one who wrote them.
    return viewer.owns(witness) or (viewer.sees_all and viewer.may_see_identities)


def may_record_consent(viewer: IntakeViewer, witness: Witness) -> bool:
    # A withdrawal can reach any reviewer (a phone call to the lawyer); it must be recordable.
    return viewer.owns(witness) or viewer.sees_all


def may_edit_interview(viewer: IntakeViewer, interview: Interview) -> bool:
    # Testimony is the interviewer's record: reviewers read it, only its author writes it.
    return viewer.owns(interview)


def may_add_addendum(viewer: IntakeViewer, interview: Interview) -> bool:
    return viewer.owns(interview) or viewer.sees_all
