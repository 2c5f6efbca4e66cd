"""Recording interviews as drafts: witness, interviewer, circumstances, transcript, evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import load_only, selectinload

from app.extensions import db
from app.intake.errors import (
    FieldError,
    IntakePermissionError,
    IntakeValidationError,
    SealedTestimonyError,
    UnreadableHereError,
    field_error,
)
from app.intake.models import (
    EvidenceRole,
    Incident,
    Interview,
    InterviewEvidence,
    InterviewMode,
    InterviewStatus,
    Witness,
)
from app.intake.models.interviews import RECORD_FORMAT
from app.intake.services.interview_languages import (
    CleanInterpreter,
    apply_interpreter,
    clean_interpreter,
    clean_languages,
    is_member,
)
from app.intake.services.replay import replayed
from app.intake.textinput import (
    check_length,
    check_required,
    clean_line,
    clean_text,
    looks_like_row_id,
    normalise_client_id,
)
from app.intake.visibility import may_edit_interview, visible_incidents, visible_witnesses
from app.investigations.models import Investigation
from app.investigations.viewer import InvestigationViewer, viewer_of
from app.security.org_keys import intake_only
from app.timeutil import utcnow
from app.vault.models import EvidenceItem, EvidenceKind, receipt_columns_only

MODES = tuple(mode.value for mode in InterviewMode)
# About 150,000 words: longer than any interview; the form size limit (config) allows it.
MAX_TRANSCRIPT = 1_000_000
MAX_NOTES = 100_000
RECORDING_KINDS = frozenset({EvidenceKind.AUDIO.value, EvidenceKind.VIDEO.value})


@dataclass
class InterviewInput:
    witness_id: str
    conducted_on: date | None
    mode: str
    first_hand: bool
    interviewer_id: str | None = None  # default: the person recording it
    place: str = ""
    languages: list[str] = field(default_factory=list)  # BCP 47 codes, from the list
    interpreter_present: bool | None = None
    interpreter_user_id: str | None = None  # a member of the investigation, or
    interpreter_code: str = ""  # an external interpreter's code, with
    interpreter: str = ""  # their identity (sealed)
    interpreted_from: str = ""
    interpreted_to: str = ""
    read_back: bool | None = None
    read_back_language: str = ""
    incident_ids: list[str] = field(default_factory=list)
    transcript: str = ""
    notes: str = ""


@dataclass
class _CleanInterview:
    witness_id: str
    interviewer_id: str
    conducted_on: date
    mode: str
    first_hand: bool
    place: str | None
    languages: str
    interpreter: CleanInterpreter
    incidents: list[Incident]
    transcript: str | None
    notes: str | None


def validate_interview(data: InterviewInput, viewer: InvestigationViewer) -> _CleanInterview:
    errors: list[FieldError] = []
    witness_id = None
    if check_required(errors, "witness_id", data.witness_id):
        # Someone else's witness looks exactly like one that does not exist.
        witness_id = looks_like_row_id(data.witness_id) and db.session.scalar(
            visible_witnesses(select(Witness.id), viewer).where(Witness.id == data.witness_id)
        )
        if not witness_id:
            errors.append(FieldError("witness_id", "unknown_witness"))
    interviewer_id = data.interviewer_id or viewer.user.id
    if not viewer.sees_all and interviewer_id != viewer.user.id:
        # Field staff record their own interviews; naming another member would hand them
        # a testimony they could then not see.
        errors.append(FieldError("interviewer_id", "unknown_member"))
    elif not is_member(viewer, interviewer_id):
        errors.append(FieldError("interviewer_id", "unknown_member"))
    if check_required(errors, "conducted_on", data.conducted_on):
        if data.conducted_on > (utcnow() + timedelta(hours=14)).date():
            errors.append(FieldError("conducted_on", "date_in_future"))
    if data.mode not in MODES:
        errors.append(FieldError("mode", "invalid_choice"))
    place = clean_line(data.place)
    check_length(errors, "place", place, 300)
    languages = clean_languages(data.languages, errors, "languages")
    interpreter = clean_interpreter(data, viewer, errors)
    incidents = _incidents(data.incident_ids, viewer, errors)
    transcript = clean_text(data.transcript)
    check_length(errors, "transcript", transcript, MAX_TRANSCRIPT)
    notes = clean_text(data.notes)
    check_length(errors, "notes", notes, MAX_NOTES)
    if errors:
        raise IntakeValidationError(errors)
    return _CleanInterview(
        witness_id=witness_id,
        interviewer_id=interviewer_id,
        conducted_on=data.conducted_on,
        mode=data.mode,
        first_hand=bool(data.first_hand),
        place=place or None,
        languages=languages,
        interpreter=interpreter,
        incidents=incidents,
        transcript=transcript or None,
        notes=notes or None,
    )


def _incidents(
    ids: list[str], viewer: InvestigationViewer, errors: list[FieldError]
) -> list[Incident]:
    wanted = list(dict.fromkeys(i for i in ids or [] if i))
    if not wanted:
        return []
    if not all(looks_like_row_id(i) for i in wanted):
        errors.append(FieldError("incident_ids", "unknown_incident"))
        return []
    found = list(
        db.session.scalars(
            # Ids only: what a link needs, and all an intake node's role may read of them.
            visible_incidents(select(Incident), viewer)
            .where(Incident.id.in_(wanted))
            .options(load_only(Incident.id, Incident.investigation_id))
        )
    )
    if len(found) != len(wanted):
        errors.append(FieldError("incident_ids", "unknown_incident"))
    return found


def _apply(interview: Interview, clean: _CleanInterview) -> None:
    interview.witness_id = clean.witness_id
    interview.interviewer_id = clean.interviewer_id
    interview.conducted_on = clean.conducted_on
    interview.mode = clean.mode
    interview.first_hand = clean.first_hand
    interview.place = clean.place
    interview.languages = clean.languages
    if clean.languages:
        interview.language = ""  # the codes now say what the free text said
    apply_interpreter(interview, clean.interpreter)
    interview.incidents = clean.incidents
    interview.transcript = clean.transcript
    interview.notes = clean.notes
    interview.updated_at = utcnow()


def create_interview(
    investigation: Investigation,
    user: Any,
    data: InterviewInput,
    *,
    client_id: str | None = None,
    flush: bool = True,
) -> Interview:
    """A draft interview of one of the user's visible witnesses; sealed later, by its author.

    flush=False leaves the new row pending, for a caller that seals it before the one INSERT
    (an intake node's role may insert an interview, never update it).
    """
    viewer = viewer_of(investigation, user)
    existing = replayed(Interview, client_id, investigation.id, user)
    if existing is not None:
        return existing
    clean = validate_interview(data, viewer)
    interview = Interview(
        investigation_id=investigation.id,
        created_by_id=user.id,
        status=InterviewStatus.DRAFT.value,
        record_format=RECORD_FORMAT,
    )
    if client_id:
        interview.id = normalise_client_id(client_id)
    _apply(interview, clean)
    db.session.add(interview)
    if flush:
        db.session.flush()
    return interview


def _editable(interview: Interview, user: Any) -> InvestigationViewer:
    """The viewer, if they may change this interview now; raises otherwise."""
    investigation = db.session.get(Investigation, interview.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_edit_interview(viewer, interview):
        raise IntakePermissionError("only the author of a testimony may change it")
    if interview.is_sealed:
        raise SealedTestimonyError()
    return viewer


def update_interview(interview: Interview, user: Any, data: InterviewInput) -> Interview:
    """Save a draft again (continue later). Sealed testimony is refused: add an addendum.

    Refused on an intake-only node: it would overwrite words it cannot read (UnreadableHere).
    """
    viewer = _editable(interview, user)
    if intake_only():
        raise UnreadableHereError()
    clean = validate_interview(data, viewer)
    _apply(interview, clean)
    db.session.flush()
    return interview


def linkable_evidence(interview: Interview, user: Any) -> list[EvidenceItem]:
    """The user's own uploads in the interview's investigation, not yet linked to it."""
    linked = select(InterviewEvidence.evidence_id).where(
        InterviewEvidence.interview_id == interview.id
    )
    return list(
        db.session.scalars(
            select(EvidenceItem)
            .where(
                EvidenceItem.investigation_id == interview.investigation_id,
                EvidenceItem.uploaded_by_id == user.id,
                EvidenceItem.id.not_in(linked),
            )
            .options(selectinload(EvidenceItem.derivatives))
            .order_by(EvidenceItem.received_at.desc())
            .limit(200)
        )
    )


def link_evidence(
    interview: Interview, user: Any, evidence_id: str, role: str
) -> InterviewEvidence:
    """Attach one of the user's own uploads (made through the vault) to a draft interview."""
    _editable(interview, user)
    if role not in tuple(EvidenceRole):
        raise field_error("role", "invalid_choice")
    # Only one's own uploads: linking is not a way to reach (or learn the hash of) anyone
    # else's evidence.
    evidence = looks_like_row_id(evidence_id) and db.session.scalar(
        select(EvidenceItem)
        .where(
            EvidenceItem.id == evidence_id,
            EvidenceItem.investigation_id == interview.investigation_id,
            EvidenceItem.uploaded_by_id == user.id,
        )
        .options(receipt_columns_only())
    )
    if not evidence:
        raise field_error("evidence_id", "unknown_evidence")
    existing = db.session.execute(
        select(InterviewEvidence.evidence_id, InterviewEvidence.role).where(
            InterviewEvidence.interview_id == interview.id
        )
    ).all()
    if any(link.evidence_id == evidence.id for link in existing):
        raise field_error("evidence_id", "already_linked")
    if role == EvidenceRole.RECORDING.value:
        if evidence.kind not in RECORDING_KINDS:
            raise field_error("evidence_id", "recording_kind")
        if any(link.role == EvidenceRole.RECORDING.value for link in existing):
            raise field_error("role", "recording_exists")
    link = InterviewEvidence(
        interview_id=interview.id,
        evidence_id=evidence.id,
        role=role,
        linked_by_id=user.id,
        linked_at=utcnow(),
    )
    db.session.add(link)
    db.session.flush()
    db.session.expire(interview, ["evidence_links"])
    return link


def unlink_evidence(interview: Interview, user: Any, evidence_id: str) -> None:
    """Remove a file from a draft interview (the evidence item itself stays in the vault)."""
    _editable(interview, user)
    link = looks_like_row_id(evidence_id) and db.session.get(
        InterviewEvidence, (interview.id, evidence_id)
    )
    if not link:
        raise field_error("evidence_id", "unknown_evidence")
    db.session.delete(link)
    db.session.flush()
    db.session.expire(interview, ["evidence_links"])
