"""Informed consent: recording it, withdrawing it, and the one question exports ask.

Every change is a new ConsentRecord holding the complete state after it; nothing is updated
or deleted (the ORM guard refuses it), so the history of what the witness agreed to, and
when they took it back, is always there to show a court.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError
from app.intake.models import ConsentKind, ConsentPurpose, ConsentRecord, Witness
from app.intake.numbering import insert_with_next_number
from app.intake.textinput import check_required, clean_line, looks_like_row_id
from app.intake.visibility import may_record_consent
from app.investigations.models import Investigation, Membership
from app.investigations.viewer import InvestigationViewer, viewer_of
from app.language_codes import canonical_code, code_from_entry
from app.timeutil import utcnow

PURPOSES = tuple(purpose.value for purpose in ConsentPurpose)

ConsentHook = Callable[[Witness, ConsentRecord, Any], None]
_HOOKS_KEY = "custos.consent_hooks"


def register_consent_hook(app: Flask, hook: ConsentHook) -> None:
    """Call `hook(witness, record, actor)` after each new consent record, in its transaction
    (create_app: case files withdraw the finished exports a withdrawal no longer covers)."""
    hooks = app.extensions.setdefault(_HOOKS_KEY, [])
    if hook not in hooks:
        hooks.append(hook)


@dataclass
class ConsentInput:
    """The complete consent state after this record, and how it was obtained."""

    interview: bool
    legal_proceedings: bool
    un_sharing: bool
    publication: bool
    named: bool
    obtained_on: date | None
    language: str
    obtained_by_id: str | None = None  # a member of the investigation; default: the recorder


def current_consent(witness: Witness) -> ConsentRecord | None:
    """The latest record (the consent in force), read from the database, not a cached list."""
    return db.session.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.witness_id == witness.id)
        .order_by(ConsentRecord.seq.desc())
        .limit(1)
    )


def consent_allows(witness: Witness, purpose: str) -> bool:
    """Whether the witness's consent in force covers `purpose` (an export asks this).

    purpose: "interview", "legal_proceedings", "un_sharing", "publication" or "named".
    No record, or a later withdrawal, means no.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}; one of {', '.join(PURPOSES)}")
    record = current_consent(witness)
    return record is not None and record.allows(purpose)


def validate_consent(data: ConsentInput, viewer: InvestigationViewer) -> tuple[str, str]:
    """(language code, obtained_by_id) cleaned; raises with every problem named. The language
    is a BCP 47 code of the list, given as the code, its label or a name ("Arabic")."""
    errors: list[FieldError] = []
    language = code_from_entry(clean_line(data.language))
    if check_required(errors, "language", language) and canonical_code(language) is None:
        errors.append(FieldError("language", "unknown_language"))
    if check_required(errors, "obtained_on", data.obtained_on):
        if data.obtained_on > (utcnow() + timedelta(hours=14)).date():
            errors.append(FieldError("obtained_on", "date_in_future"))
    obtained_by_id = data.obtained_by_id or viewer.user.id
    is_member = looks_like_row_id(obtained_by_id) and db.session.scalar(
        select(Membership.id).where(
            Membership.investigation_id == viewer.investigation.id,
            Membership.user_id == obtained_by_id,
        )
    )
    if not is_member:
        errors.append(FieldError("obtained_by_id", "unknown_member"))
    if errors:
        raise IntakeValidationError(errors)
    return language, obtained_by_id


def is_regrant(witness: Witness, data: ConsentInput) -> bool:
    """Whether recording ``data`` would give back, after a withdrawal, something not now given.

    Such a record needs a document of the new consent and a second reviewer
    (app/intake/services/consent_regrants.py); it is never written by one person alone.
    """
    current = current_consent(witness)
    if current is None or not any(getattr(data, p) and not current.allows(p) for p in PURPOSES):
        return False
    return (
        db.session.scalar(
            select(ConsentRecord.id)
            .where(
                ConsentRecord.witness_id == witness.id,
                ConsentRecord.kind == ConsentKind.WITHDRAWN.value,
            )
            .limit(1)
        )
        is not None
    )


def _kind(previous: ConsentRecord | None, data: ConsentInput, regrant: bool) -> str:
    if previous is None:
        return ConsentKind.GIVEN.value
    if regrant:
        return ConsentKind.REGRANTED.value
    if any(previous.allows(p) and not getattr(data, p) for p in PURPOSES):
        return ConsentKind.WITHDRAWN.value
    return ConsentKind.CHANGED.value


def add_consent_record(
    witness: Witness,
    viewer: InvestigationViewer,
    data: ConsentInput,
    approval: dict[str, str] | None = None,
    first: bool = False,
) -> ConsentRecord:
    """Append a record after validation (the caller checked the viewer may record consent).

    A re-grant after a withdrawal is refused here unless ``approval`` (what the second
    reviewer approved: the request, its author and document) comes with it. ``first``: the
    record made with the witness, which nothing can precede (an intake node's database role
    may not read consent records back, app/security/intake_role.py).
    """
    language, obtained_by_id = validate_consent(data, viewer)
    regrant = not first and is_regrant(witness, data)
    if regrant and approval is None:
        raise IntakeValidationError([FieldError("document", "regrant_needs_document")])

    def build(seq: int) -> ConsentRecord:
        # Re-read per attempt: a concurrent record may have taken the seq we first saw.
        latest = current_consent(witness) if seq > 1 else None
        return ConsentRecord(
            witness_id=witness.id,
            investigation_id=witness.investigation_id,
            seq=seq,
            supersedes_id=latest.id if latest else None,
            kind=_kind(latest, data, regrant),
            **{purpose: bool(getattr(data, purpose)) for purpose in PURPOSES},
            obtained_by_id=obtained_by_id,
            obtained_on=data.obtained_on,
            language=language,
            language_code=language,
            recorded_by_id=viewer.user.id,
            recorded_at=utcnow(),
        )

    record = insert_with_next_number(ConsentRecord.seq, ConsentRecord.witness_id, witness.id, build)
    db.session.expire(witness, ["consent_records"])
    # A custody event: what the witness agreed to at each moment decides what may leave.
    append_custody_event(
        witness.investigation_id,
        viewer.user,
        "consent_recorded",
        "witness",
        witness.id,
        {
            "witness": witness.code,
            "seq": record.seq,
            "kind": record.kind,
            "allows": {purpose: record.allows(purpose) for purpose in PURPOSES},
            "obtained_on": record.obtained_on.isoformat(),
            **({"regrant": approval} if approval else {}),
        },
    )
    for hook in current_app.extensions.get(_HOOKS_KEY, ()):
        hook(witness, record, viewer.user)
    return record


def record_consent(witness: Witness, user: Any, data: ConsentInput) -> ConsentRecord:
    """Record a new consent state for a witness (a grant, a change or a withdrawal)."""
    investigation = db.session.get(Investigation, witness.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_record_consent(viewer, witness):
        raise IntakePermissionError("you may not record consent for this witness")
    return add_consent_record(witness, viewer, data)


def withdraw_consent(
    witness: Witness, user: Any, language: str, obtained_on: date | None = None
) -> ConsentRecord:
    """Withdraw every consent at once (the witness said stop); a new record, nothing deleted."""
    return record_consent(witness, user, withdrawal(language, obtained_on))


def withdrawal(language: str, obtained_on: date | None = None) -> ConsentInput:
    """Every consent withdrawn, as said on `obtained_on` (today when not given)."""
    return ConsentInput(
        interview=False,
        legal_proceedings=False,
        un_sharing=False,
        publication=False,
        named=False,
        obtained_on=obtained_on or utcnow().date(),
        language=language,
    )
