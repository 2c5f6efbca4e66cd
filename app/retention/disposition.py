"""Destroying an evidence item by two people: the blob and its derivatives go, a tombstone stays.

Order: the rows change first (tombstone written, item and derivative rows deleted, `destroyed`
appended to the ledger) and commit; then the blobs are removed from the store. If the store
fails at that point the bytes are orphans no row names, which `blobs gc` removes; the reverse
order could leave a row pointing at bytes that are gone.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.casefiles.models import CaseItem
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.intake.models.interviews import InterviewEvidence
from app.intake.models.regrants import ConsentRegrant
from app.investigations.viewer import InvestigationViewer
from app.retention.blocking import refuse_for_holds
from app.retention.coverage import holds_on_evidence
from app.retention.errors import RetentionError
from app.retention.models import EvidenceTombstone, RequestKind, RetentionRequest
from app.retention.two_person import open_request
from app.timeutil import utcnow
from app.vault.models import EvidenceItem
from app.vault.storage import blob_store


def request_destruction(
    viewer: InvestigationViewer, evidence_id: str, reason: str
) -> RetentionRequest:
    """Ask for an item's destruction; refused at once (and recorded) if a hold covers it."""
    item = _item(viewer.investigation.id, evidence_id)
    _refuse_if_held(item, viewer.user)
    _refuse_if_part_of_a_record(item)
    return open_request(viewer, RequestKind.DESTROY_EVIDENCE, item.id, item.id, reason)


def destroy_evidence(request: RetentionRequest, approver) -> list[str]:
    """Carry out an approved destruction; returns the blob keys to remove once committed."""
    item = _item(request.investigation_id, request.target_id)
    _refuse_if_held(item, approver)
    _refuse_if_part_of_a_record(item)
    keys = [derivative.blob_key for derivative in item.derivatives] + [item.blob_key]
    db.session.add(
        EvidenceTombstone(
            investigation_id=item.investigation_id,
            evidence_id=item.id,
            kind=item.kind,
            media_type=item.media_type,
            size=item.size,
            sha256=item.sha256,
            derivatives_destroyed=len(item.derivatives),
            request_id=request.id,
            requested_by_id=request.requested_by_id,
            approved_by_id=approver.id,
            destroyed_at=utcnow(),
        )
    )
    append_custody_event(
        item.investigation_id,
        approver,
        CustodyAction.DESTROYED,
        "evidence",
        item.id,
        {
            "request": request.id,
            "sha256": item.sha256,
            "size": item.size,
            "media_type": item.media_type,
            "derivatives": len(item.derivatives),
            "requested_by": request.requested_by_id,
            "approved_by": approver.id,
        },
    )
    db.session.delete(item)  # its derivative rows go with it (cascade)
    db.session.flush()
    return keys


def remove_blobs(keys: list[str]) -> None:
    """After the commit: every derivative, then the original (all versions on S3)."""
    store = blob_store()
    for key in keys:
        store.delete(key)


def tombstones_of(viewer: InvestigationViewer) -> list[EvidenceTombstone]:
    stmt = (
        select(EvidenceTombstone)
        .where(EvidenceTombstone.investigation_id == viewer.investigation.id)
        .order_by(EvidenceTombstone.destroyed_at.desc())
    )
    return list(db.session.scalars(stmt))


def _item(investigation_id: str, evidence_id: str) -> EvidenceItem:
    item = db.session.scalar(
        select(EvidenceItem).where(
            EvidenceItem.id == (evidence_id or "").strip(),
            EvidenceItem.investigation_id == investigation_id,
        )
    )
    if item is None:
        raise RetentionError(
            _("No evidence item of this investigation has that id (already destroyed?)."),
            field="evidence_id",
        )
    return item


def _refuse_if_held(item: EvidenceItem, actor) -> None:
    holds = holds_on_evidence(item)
    if holds:
        refuse_for_holds(item.investigation_id, actor, "evidence", item.id, holds)


def _refuse_if_part_of_a_record(item: EvidenceItem) -> None:
    """Items inside testimony, consent or a case file leave through those records first."""
    checks = (
        (
            InterviewEvidence.evidence_id == item.id,
            _(
                "This item belongs to an interview: the witness's request to be forgotten "
                "decides about testimony."
            ),
        ),
        (
            ConsentRegrant.document_id == item.id,
            _("This item documents a witness's consent and is kept with the consent record."),
        ),
        (
            (CaseItem.item_type == "evidence") & (CaseItem.item_id == item.id),
            _("This item is in a case file: remove it from the case file first."),
        ),
    )
    for condition, message in checks:
        if db.session.scalar(select(exists().where(condition))):
            raise RetentionError(message)
