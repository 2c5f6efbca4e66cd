"""ORM guard: sealed testimony, its links, addenda, translations and consent records never change.

The services refuse such changes with a clear message first; this hook is the backstop that
holds for any code path through the ORM (a future service, a CLI command, a careless fix).
Bulk Core UPDATEs bypass it on purpose: master-key rotation re-seals ciphertexts in place
(app/security/encrypted_type.py) and must keep working on sealed rows, whose plaintext and
therefore content hash it does not change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from app.intake.errors import ImmutableRecordError, SealedTestimonyError, SealedTranslationError
from app.intake.models.interviews import Addendum, Interview, InterviewEvidence, InterviewStatus
from app.intake.models.translations import Translation, TranslationStatus
from app.intake.models.witnesses import ConsentRecord

WRITE_ONCE = (Addendum, ConsentRecord)
# What may still be written on testimony sealed before languages were codes (format 1): its
# codes, chosen by a person from its free text; the seal covers that text, not the codes.
OUTSIDE_FORMAT_1_SEAL = frozenset({"languages"})


def _committed_status(session: Session, interview: Interview) -> str | None:
    """The status the interview has in the database, whatever is pending on the object."""
    state = instance_state(interview)
    if state.key is None:
        return None  # not stored yet
    history = state.attrs.status.history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    with session.no_autoflush:
        return session.scalar(select(Interview.status).where(Interview.id == interview.id))


def _translation_was_sealed(session: Session, translation: Translation) -> bool:
    """Whether the row is sealed in the database (the seal itself is the one allowed change)."""
    state = instance_state(translation)
    if state.key is None:
        return False
    history = state.attrs.status.history
    committed = (history.deleted or history.unchanged or [None])[0]
    if committed is None:
        with session.no_autoflush:
            committed = session.scalar(
                select(Translation.status).where(Translation.id == translation.id)
            )
    return committed == TranslationStatus.SEALED.value


def _interview_is_sealed(session: Session, interview_id: str) -> bool:
    with session.no_autoflush:
        status = session.scalar(select(Interview.status).where(Interview.id == interview_id))
    return status == InterviewStatus.SEALED.value


def _only_outside_the_seal(interview: Interview) -> bool:
    state = instance_state(interview)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    return interview.record_format == 1 and changed <= OUTSIDE_FORMAT_1_SEAL


def _refuse_changes_to_sealed_testimony(session: Session, flush_context: Any, instances: Any):
    for obj in session.dirty:
        if isinstance(obj, Interview) and session.is_modified(obj):
            if _committed_status(session, obj) == InterviewStatus.SEALED.value:
                if not _only_outside_the_seal(obj):
                    raise SealedTestimonyError()
        elif isinstance(obj, Translation) and session.is_modified(obj):
            if _translation_was_sealed(session, obj):
                raise SealedTranslationError()
        elif isinstance(obj, WRITE_ONCE) and session.is_modified(obj):
            raise ImmutableRecordError(f"{type(obj).__name__} rows are written once")
    for obj in session.deleted:
        if isinstance(obj, Interview) and _committed_status(session, obj) == "sealed":
            raise SealedTestimonyError()
        if isinstance(obj, Translation) and _translation_was_sealed(session, obj):
            raise SealedTranslationError()
        if isinstance(obj, WRITE_ONCE):
            raise ImmutableRecordError(f"{type(obj).__name__} rows are never deleted")
        if isinstance(obj, InterviewEvidence) and _interview_is_sealed(session, obj.interview_id):
            raise SealedTestimonyError()
    for obj in session.new:
        if isinstance(obj, InterviewEvidence) and _interview_is_sealed(session, obj.interview_id):
            raise SealedTestimonyError()


event.listen(Session, "before_flush", _refuse_changes_to_sealed_testimony)
