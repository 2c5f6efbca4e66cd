"""Consent given back after a withdrawal: asked with its document, in force on a second yes.

A witness who withdrew consent said stop; giving any of it back is recorded only when two
people stand behind it. One member who may record the witness's consent asks, naming the
document of the new consent (an evidence item of the investigation: a signed form or a
recording); a second member who reviews the investigation, not the one who asked,
approves or refuses. Until then the withdrawal stays in force. The request, and the
refusal or the consent record the approval writes, are custody entries on the witness.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.custody.ledger import append_custody_event
from app.extensions import db
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError
from app.intake.models import ConsentRecord, ConsentRegrant, RegrantOutcome, Witness
from app.intake.services.consent import (
    PURPOSES,
    ConsentInput,
    add_consent_record,
    current_consent,
    is_regrant,
    validate_consent,
)
from app.intake.textinput import looks_like_row_id
from app.intake.visibility import may_record_consent
from app.investigations.models import Investigation
from app.investigations.viewer import InvestigationViewer, viewer_of
from app.timeutil import utcnow
from app.vault.models import EvidenceItem, visible_evidence


def record_or_request_consent(
    witness: Witness, user: Any, data: ConsentInput, document_id: str | None
) -> ConsentRecord | ConsentRegrant:
    """Record the consent, or, for a re-grant after a withdrawal, ask a second reviewer."""
    viewer = _viewer(witness, user)
    if is_regrant(witness, data):
        return request_regrant(witness, user, data, document_id)
    return add_consent_record(witness, viewer, data)


def request_regrant(
    witness: Witness, user: Any, data: ConsentInput, document_id: str | None
) -> ConsentRegrant:
    """Ask for ``data`` to be recorded once a second reviewer approves; nothing is in force yet."""
    viewer = _viewer(witness, user)
    language, obtained_by_id = validate_consent(data, viewer)
    document = _document(viewer, document_id)
    if pending_regrant(witness) is not None:
        raise IntakeValidationError([FieldError("document", "regrant_pending")])
    regrant = ConsentRegrant(
        witness_id=witness.id,
        investigation_id=witness.investigation_id,
        based_on_id=current_consent(witness).id,
        **{purpose: bool(getattr(data, purpose)) for purpose in PURPOSES},
        obtained_by_id=obtained_by_id,
        obtained_on=data.obtained_on,
        language=language,
        language_code=language,
        document_id=document.id,
        requested_by_id=user.id,
        requested_at=utcnow(),
    )
    db.session.add(regrant)
    db.session.flush()
    append_custody_event(
        witness.investigation_id,
        user,
        "consent_regrant_requested",
        "witness",
        witness.id,
        {
            "witness": witness.code,
            "regrant": regrant.id,
            "allows": {purpose: regrant.allows(purpose) for purpose in PURPOSES},
            "obtained_on": regrant.obtained_on.isoformat(),
            "document": {"evidence": document.id, "sha256": document.sha256},
        },
    )
    return regrant


def approve_regrant(regrant_id: str, user: Any) -> ConsentRecord:
    """The second reviewer's yes: the consent record is written now, in their name."""
    regrant, witness, viewer = _decidable(regrant_id, user)
    data = ConsentInput(
        **{purpose: regrant.allows(purpose) for purpose in PURPOSES},
        obtained_on=regrant.obtained_on,
        language=regrant.language,
        obtained_by_id=regrant.obtained_by_id,
    )
    approval = {
        "id": regrant.id,
        "requested_by": regrant.requested_by_id or "",
        "document": regrant.document_id,
    }
    record = add_consent_record(witness, viewer, data, approval)
    _decide(regrant, user, RegrantOutcome.APPROVED)
    regrant.record_id = record.id
    return record


def refuse_regrant(regrant_id: str, user: Any) -> ConsentRegrant:
    """The second reviewer's no: the withdrawal stays in force, and the ledger says so."""
    regrant, witness, _viewer_ = _decidable(regrant_id, user)
    _decide(regrant, user, RegrantOutcome.REFUSED)
    append_custody_event(
        witness.investigation_id,
        user,
        "consent_regrant_refused",
        "witness",
        witness.id,
        {"witness": witness.code, "regrant": regrant.id},
    )
    return regrant


def decide_regrant(regrant_id: str, user: Any, approve: bool) -> ConsentRecord | ConsentRegrant:
    """Approve or refuse (the web page's two buttons)."""
    return approve_regrant(regrant_id, user) if approve else refuse_regrant(regrant_id, user)


def document_choices(viewer: InvestigationViewer) -> list[tuple[str, str]]:
    """(id, label) of the evidence items the viewer may name as the document of a consent."""
    items = db.session.scalars(
        visible_evidence(select(EvidenceItem), viewer).order_by(EvidenceItem.received_at.desc())
    )
    return [(item.id, f"{item.original_filename} ({item.received_at:%Y-%m-%d})") for item in items]


def pending_view(witness: Witness, viewer: InvestigationViewer) -> dict | None:
    """The re-grant waiting for this witness, as the consent page shows it; None if none."""
    regrant = pending_regrant(witness)
    if regrant is None:
        return None
    return {
        "id": regrant.id,
        "purposes": {purpose: regrant.allows(purpose) for purpose in PURPOSES},
        "obtained_on": regrant.obtained_on,
        "requested_by": regrant.requested_by.email if regrant.requested_by else "",
        "requested_at": regrant.requested_at,
        "may_decide": viewer.sees_all and regrant.requested_by_id != viewer.user.id,
    }


def pending_regrant(witness: Witness) -> ConsentRegrant | None:
    return db.session.scalar(
        select(ConsentRegrant).where(
            ConsentRegrant.witness_id == witness.id, ConsentRegrant.outcome.is_(None)
        )
    )


def _viewer(witness: Witness, user: Any) -> InvestigationViewer:
    viewer = viewer_of(db.session.get(Investigation, witness.investigation_id), user)
    if not may_record_consent(viewer, witness):
        raise IntakePermissionError("you may not record consent for this witness")
    return viewer


def _document(viewer: InvestigationViewer, document_id: str | None) -> EvidenceItem:
    """The evidence item that documents the new consent, one the asker may see."""
    document = None
    if document_id and looks_like_row_id(document_id):
        document = db.session.scalar(
            visible_evidence(select(EvidenceItem), viewer).where(EvidenceItem.id == document_id)
        )
    if document is None:
        raise IntakeValidationError([FieldError("document", "regrant_needs_document")])
    return document


def _decidable(regrant_id: str, user: Any) -> tuple[ConsentRegrant, Witness, InvestigationViewer]:
    regrant = db.session.get(ConsentRegrant, regrant_id) if looks_like_row_id(regrant_id) else None
    if regrant is None:
        raise IntakePermissionError("no such re-grant")
    witness = db.session.get(Witness, regrant.witness_id)
    viewer = _viewer(witness, user)
    if not viewer.sees_all:
        raise IntakePermissionError("only a reviewer of the investigation decides a re-grant")
    if regrant.outcome is not None:
        raise IntakeValidationError([FieldError("document", "regrant_not_pending")])
    if regrant.requested_by_id == user.id:
        raise IntakeValidationError([FieldError("document", "regrant_own_request")])
    if current_consent(witness).id != regrant.based_on_id:
        raise IntakeValidationError([FieldError("document", "regrant_stale")])
    return regrant, witness, viewer


def _decide(regrant: ConsentRegrant, user: Any, outcome: RegrantOutcome) -> None:
    regrant.outcome = outcome.value
    regrant.decided_by_id = user.id
    regrant.decided_at = utcnow()
