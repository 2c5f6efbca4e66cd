"""Placing a legal hold (authority, reference and reason required) and asking to release one."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app.audit.services import record_event
from app.casefiles.models import CaseFile
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.intake.models.witnesses import Witness
from app.investigations.viewer import InvestigationViewer
from app.retention.errors import RetentionError
from app.retention.models import HoldTarget, LegalHold, RequestKind, RetentionRequest
from app.retention.reviewers import require_reviewer
from app.retention.two_person import open_request
from app.timeutil import utcnow
from app.vault.models import EvidenceItem

MAX_TEXT = 200


@dataclass(frozen=True)
class HoldInput:
    target_type: str
    target: str  # a case-file reference, an item id, a witness code; blank for the investigation
    authority: str
    authority_reference: str
    reason: str


def place_hold(viewer: InvestigationViewer, data: HoldInput) -> LegalHold:
    """Record the hold, in the audit log and the investigation's ledger; the caller commits."""
    require_reviewer(viewer)
    authority = _required(data.authority, "authority", _("Say who asked for the hold."))
    reference = _required(
        data.authority_reference,
        "authority_reference",
        _("Give the reference of the order or request (a case or order number)."),
    )
    reason = (data.reason or "").strip()
    if not reason:
        raise RetentionError(_("Say why the hold is placed."), field="reason")
    target_type, target_id, label = _resolve_target(viewer, data.target_type, data.target)
    hold = LegalHold(
        investigation_id=viewer.investigation.id,
        target_type=target_type,
        target_id=target_id,
        target_label=label,
        authority=authority,
        authority_reference=reference,
        reason=reason,
        placed_by_id=viewer.user.id,
        placed_at=utcnow(),
    )
    db.session.add(hold)
    db.session.flush()
    append_custody_event(
        viewer.investigation.id,
        viewer.user,
        CustodyAction.LEGAL_HOLD_PLACED,
        target_type,
        target_id,
        {"hold": hold.id, "authority": authority, "authority_reference": reference},
    )
    record_event(
        "retention.hold_placed",
        actor=viewer.user,
        target=hold,
        details={"investigation": viewer.investigation.reference, "on": target_type},
    )
    return hold


def request_release(viewer: InvestigationViewer, hold_id: str, reason: str) -> RetentionRequest:
    """Ask for a hold to be lifted: a second reviewer must approve (two_person.py)."""
    hold = active_hold(viewer, hold_id)
    return open_request(viewer, RequestKind.RELEASE_HOLD, hold.id, hold.describe(), reason)


def release_hold(request: RetentionRequest, approver) -> LegalHold:
    """Carry out an approved release; the caller commits."""
    hold = db.session.get(LegalHold, request.target_id)
    if hold is None or not hold.active:
        raise RetentionError(_("This hold is no longer in force."))
    hold.released_at = utcnow()
    hold.release_request_id = request.id
    append_custody_event(
        hold.investigation_id,
        approver,
        CustodyAction.LEGAL_HOLD_RELEASED,
        hold.target_type,
        hold.target_id,
        {
            "hold": hold.id,
            "request": request.id,
            "requested_by": request.requested_by_id,
            "approved_by": approver.id,
        },
    )
    return hold


def active_hold(viewer: InvestigationViewer, hold_id: str) -> LegalHold:
    require_reviewer(viewer)
    hold = db.session.scalar(
        select(LegalHold).where(
            LegalHold.id == hold_id, LegalHold.investigation_id == viewer.investigation.id
        )
    )
    if hold is None:  # unknown here, or another investigation's: the same 404 either way
        raise NotFound()
    if not hold.active:
        raise RetentionError(_("This hold is no longer in force."))
    return hold


def holds_of(viewer: InvestigationViewer) -> list[LegalHold]:
    """Every hold of the investigation, those in force first, newest first."""
    require_reviewer(viewer)
    stmt = (
        select(LegalHold)
        .where(LegalHold.investigation_id == viewer.investigation.id)
        .order_by(LegalHold.released_at.is_not(None), LegalHold.placed_at.desc())
    )
    return list(db.session.scalars(stmt))


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RetentionError(message, field=field)
    if len(value) > MAX_TEXT:
        raise RetentionError(_("At most %(n)d characters.", n=MAX_TEXT), field=field)
    return value


def _resolve_target(
    viewer: InvestigationViewer, target_type: str, target: str
) -> tuple[str, str, str]:
    """(type, id, label) of what the hold names, inside this investigation only."""
    investigation = viewer.investigation
    target = (target or "").strip()
    if target_type == HoldTarget.INVESTIGATION.value:
        return target_type, investigation.id, investigation.reference
    found: tuple[str, str] | None = None
    if target_type == HoldTarget.CASEFILE.value:
        casefile = db.session.scalar(
            select(CaseFile).where(
                CaseFile.investigation_id == investigation.id, CaseFile.reference == target
            )
        )
        found = (casefile.id, casefile.reference) if casefile else None
    elif target_type == HoldTarget.EVIDENCE.value:
        item = db.session.scalar(
            viewer.scope(select(EvidenceItem), EvidenceItem).where(EvidenceItem.id == target)
        )
        found = (item.id, item.id) if item else None
    elif target_type == HoldTarget.WITNESS.value:
        witness = db.session.scalar(
            viewer.scope(select(Witness), Witness).where(Witness.code == target.upper())
        )
        found = (witness.id, witness.code) if witness else None
    else:
        raise RetentionError(_("Choose what the hold is on."), field="target_type")
    if found is None:
        raise RetentionError(
            _("Nothing in this investigation matches that reference."), field="target"
        )
    return target_type, found[0], found[1]
