"""Sealing testimony: its canonical content hash, the custody entry, and addenda.

A sealed testimony's hash is SHA-256 over RFC 8785 canonical JSON of every field of the
record (transcript and notes included) and of the SHA-256 of each linked evidence file, so
the hash in the custody ledger vouches for the words and the media together. After sealing,
nothing changes (services refuse, the ORM guard backs them up); a correction is an addendum
with its own hash, chained to the testimony's hash, recorded in the ledger too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select

from app.crypto.canonical import canonical_json, utc_timestamp
from app.custody.ledger import append_custody_event
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
    Addendum,
    Interview,
    InterviewEvidence,
    InterviewStatus,
    Witness,
    interview_incidents,
)
from app.intake.numbering import insert_with_next_number
from app.intake.services.consent import consent_allows
from app.intake.services.interviews import InterviewInput, create_interview
from app.intake.textinput import clean_text
from app.intake.visibility import may_add_addendum, may_edit_interview
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.security.field_sealing import UnreadableText
from app.timeutil import utcnow
from app.vault.models import EvidenceItem

TESTIMONY_FORMAT = "custos-testimony-v1"
# Format 2 (interviews.record_format): the spoken languages as BCP 47 codes and the
# interpreter on the record. Testimony sealed in format 1 keeps its document and its hash.
TESTIMONY_FORMAT_2 = "custos-testimony-v2"
ADDENDUM_FORMAT = "custos-testimony-addendum-v1"
MAX_ADDENDUM = 100_000
CUSTODY_OBJECT = "testimony"


def _stamp(moment: datetime) -> str:
    return utc_timestamp(moment.replace(tzinfo=UTC))  # stored naive UTC


def testimony_document(interview: Interview) -> dict[str, Any]:
    """Everything the seal covers, as plain JSON values (the input of the content hash)."""
    witness = db.session.get(Witness, interview.witness_id)
    # Ids, hashes and sizes of the files only: all the seal covers, and all an intake node's
    # database role may read of them.
    evidence = db.session.execute(
        select(
            InterviewEvidence.role,
            EvidenceItem.id,
            EvidenceItem.sha256,
            EvidenceItem.size,
            EvidenceItem.media_type,
        )
        .join(EvidenceItem, EvidenceItem.id == InterviewEvidence.evidence_id)
        .where(InterviewEvidence.interview_id == interview.id)
    ).all()
    if inspect(interview).pending:
        # Sealed before its first INSERT (create_and_seal): the links are still in hand.
        incident_ids = [incident.id for incident in interview.incidents]
    else:
        incident_ids = db.session.scalars(
            select(interview_incidents.c.incident_id).where(
                interview_incidents.c.interview_id == interview.id
            )
        ).all()
    document = {
        "format": TESTIMONY_FORMAT,
        "interview_id": interview.id,
        "investigation_id": interview.investigation_id,
        "witness": {"id": witness.id, "code": witness.code},
        "interviewer_id": interview.interviewer_id,
        "conducted_on": interview.conducted_on.isoformat(),
        "place": interview.place or "",
        "language": interview.language or "",
        "interpreter": interview.interpreter or "",
        "mode": interview.mode,
        "first_hand": bool(interview.first_hand),
        "incident_ids": sorted(incident_ids),
        "transcript": interview.transcript or "",
        "notes": interview.notes or "",
        "evidence": sorted(
            (
                {
                    "evidence_id": evidence_id,
                    "role": role,
                    "sha256": sha256,
                    "size": int(size),
                    "media_type": media_type,
                }
                for role, evidence_id, sha256, size, media_type in evidence
            ),
            key=lambda entry: (entry["role"], entry["sha256"], entry["evidence_id"]),
        ),
        "sealed_by_id": interview.sealed_by_id,
        "sealed_at": _stamp(interview.sealed_at) if interview.sealed_at else None,
    }
    if interview.record_format == 1:
        return document
    del document["language"]
    document.update(
        format=TESTIMONY_FORMAT_2,
        languages=(interview.languages or "").split(),
        interpreter=_interpreter_document(interview),
    )
    return document


def _interpreter_document(interview: Interview) -> dict[str, Any]:
    return {
        "present": interview.interpreter_present,
        "user_id": interview.interpreter_user_id,
        "code": interview.interpreter_code,
        "identity": interview.interpreter or "",
        "from": interview.interpreted_from,
        "to": interview.interpreted_to,
        "read_back": interview.read_back,
        "read_back_language": interview.read_back_language,
    }


def _readable(document: dict[str, Any]) -> dict[str, Any]:
    """The document, if every text in it was read here; a hash of placeholders is refused."""
    interpreter = document.get("interpreter")
    nested = interpreter.values() if isinstance(interpreter, dict) else ()
    values = [*document.values(), *nested]
    if any(isinstance(value, UnreadableText) for value in values):
        raise UnreadableHereError()
    return document


def testimony_content_hash(interview: Interview) -> str:
    return hashlib.sha256(canonical_json(_readable(testimony_document(interview)))).hexdigest()


def verify_sealed_testimony(interview: Interview) -> bool:
    """Whether the stored testimony still hashes to the hash recorded when it was sealed."""
    return interview.is_sealed and testimony_content_hash(interview) == interview.content_hash


def seal_problems(interview: Interview) -> list[FieldError]:
    """What stops this draft from being sealed now (empty when it can be)."""
    errors: list[FieldError] = []
    witness = db.session.get(Witness, interview.witness_id)
    if not consent_allows(witness, "interview"):
        errors.append(FieldError("witness_id", "no_interview_consent"))
    if not (interview.transcript or "").strip():
        errors.append(FieldError("transcript", "transcript_required"))
    if interview.record_format == 1:  # the rule of its time: a language, as free text
        if not (interview.language or "").strip():
            errors.append(FieldError("language", "language_required"))
        return errors
    if not interview.languages:
        errors.append(FieldError("languages", "language_required"))
    if interview.interpreter_present is None:
        errors.append(FieldError("interpreter_present", "interpreter_unanswered"))
    return errors


def seal_testimony(interview: Interview, user: Any) -> str:
    """Seal a draft: record its content hash, here and in the custody ledger; returns it.

    Only the author seals. Refused when already sealed, when the witness has not consented
    to be interviewed, or without a transcript and its language.
    """
    investigation = db.session.get(Investigation, interview.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_edit_interview(viewer, interview):
        raise IntakePermissionError("only the author of a testimony may seal it")
    if interview.is_sealed:
        raise SealedTestimonyError("this testimony is already sealed")
    errors = seal_problems(interview)
    if errors:
        raise IntakeValidationError(errors)
    witness = db.session.get(Witness, interview.witness_id)

    interview.sealed_at = utcnow()
    interview.sealed_by_id = user.id
    content_hash = testimony_content_hash(interview)
    interview.content_hash = content_hash
    interview.status = InterviewStatus.SEALED.value
    document = testimony_document(interview)
    db.session.flush()
    # Ids and hashes only: the ledger travels in exports; the words stay encrypted here.
    append_custody_event(
        interview.investigation_id,
        user,
        "testimony_sealed",
        CUSTODY_OBJECT,
        interview.id,
        {
            "format": TESTIMONY_FORMAT,
            "content_hash": content_hash,
            "witness_code": witness.code,
            "incident_ids": document["incident_ids"],
            "evidence": [
                {"evidence_id": e["evidence_id"], "role": e["role"], "sha256": e["sha256"]}
                for e in document["evidence"]
            ],
        },
    )
    return content_hash


def create_and_seal(
    investigation: Investigation, user: Any, data: InterviewInput, client_id: str | None
) -> Interview:
    """Record a testimony and seal it in one step, while its words are still in hand.

    What an intake-only node offers instead of "save, then seal": it cannot read a saved draft
    back to hash it. A refusal (no consent, no transcript) leaves nothing stored.
    """
    interview = create_interview(investigation, user, data, client_id=client_id, flush=False)
    # No flush before the seal: the one INSERT writes the testimony sealed (the node's role may
    # not UPDATE an interview afterwards).
    with db.session.no_autoflush:
        seal_testimony(interview, user)
    return interview


def addendum_document(addendum: Addendum, interview: Interview) -> dict[str, Any]:
    return {
        "format": ADDENDUM_FORMAT,
        "addendum_id": addendum.id,
        "interview_id": interview.id,
        "interview_content_hash": interview.content_hash,
        "seq": addendum.seq,
        "author_id": addendum.author_id,
        "created_at": _stamp(addendum.created_at),
        "text": addendum.text,
    }


def addendum_content_hash(addendum: Addendum, interview: Interview) -> str:
    document = _readable(addendum_document(addendum, interview))
    return hashlib.sha256(canonical_json(document)).hexdigest()


def add_addendum(interview: Interview, user: Any, text: str) -> Addendum:
    """Add a correction to sealed testimony, sealed on the spot with its own hash.

    The original testimony is not touched. Its author or a reviewer may add one.
    """
    investigation = db.session.get(Investigation, interview.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_add_addendum(viewer, interview):
        raise IntakePermissionError("you may not add to this testimony")
    if not interview.is_sealed:
        raise field_error("text", "not_sealed")
    text = clean_text(text)
    if not text:
        raise field_error("text", "required")
    if len(text) > MAX_ADDENDUM:
        raise field_error("text", "too_long")
    created_at = utcnow()

    def build(seq: int) -> Addendum:
        addendum = Addendum(
            interview_id=interview.id,
            investigation_id=interview.investigation_id,
            seq=seq,
            text=text,
            author_id=user.id,
            created_at=created_at,
        )
        addendum.content_hash = addendum_content_hash(addendum, interview)
        return addendum

    addendum = insert_with_next_number(Addendum.seq, Addendum.interview_id, interview.id, build)
    append_custody_event(
        interview.investigation_id,
        user,
        "addendum_added",
        CUSTODY_OBJECT,
        interview.id,
        {
            "format": ADDENDUM_FORMAT,
            "addendum_id": addendum.id,
            "seq": addendum.seq,
            "content_hash": addendum.content_hash,
            "interview_content_hash": interview.content_hash,
        },
    )
    db.session.expire(interview, ["addenda"])
    return addendum


def verify_addendum(addendum: Addendum, interview: Interview) -> bool:
    return addendum_content_hash(addendum, interview) == addendum.content_hash
