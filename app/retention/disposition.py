"""Destroying an evidence item by two people: the blob and its derivatives go, a tombstone stays.

Order: the rows change first (tombstone written, item and derivative rows deleted, `destroyed`
appended to the ledger) and commit; then the blobs are removed from the store. If the store
fails at that point the bytes are orphans no row names, which `blobs gc` removes; the reverse
order could leave a row pointing at bytes that are gone.

An item gathered into case files is destroyed only once every one of them is closed (approved
for referral): its case-file rows stay and point at the tombstone, so the case file, its matrix,
its report and any later export say what happened in its place (casefile_tombstones.py). An
item in a case file still open (a draft, or under review) is refused: a lawyer is using it.
Its links to incidents go with it (their notes may describe the victims), and so do its
attachments to interviews, once their witnesses have let it go (attachments.py).
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.casefiles.models import CaseFile, CaseItem, CaseStatus
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.intake.models.regrants import ConsentRegrant
from app.investigations.viewer import InvestigationViewer
from app.retention.attachments import detach, refuse_unless_let_go, remove_links
from app.retention.blocking import refuse_for_holds
from app.retention.coverage import holds_on_evidence
from app.retention.due import rule_bringing_due
from app.retention.errors import RetentionError
from app.retention.models import EvidenceTombstone, RequestKind, RetentionRequest
from app.retention.two_person import open_request
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.incident_links import IncidentEvidence
from app.vault.models import EvidenceItem
from app.vault.storage import blob_store

log = logging.getLogger(__name__)


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
    rule = rule_bringing_due(item.investigation_id, item.id)
    interviews = detach(item)
    incidents = remove_links(IncidentEvidence, IncidentEvidence.incident_id, item.id)
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
            rule_id=rule.id if rule else None,
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
            "rule": rule.id if rule else None,
            "casefiles": _casefile_references(item),
            "interviews": interviews,
            "incidents": incidents,
            "requested_by": request.requested_by_id,
            "approved_by": approver.id,
        },
    )
    db.session.delete(item)  # its derivative rows go with it (cascade)
    db.session.flush()
    return keys


def remove_blobs(keys: list[str]) -> None:
    """After the commit: every derivative, then the original (all versions on S3).

    A store that fails here leaves orphans no row names; the log says which, and `blobs gc`
    removes them later. The destruction itself is committed and stands.
    """
    store = blob_store()
    for key in keys:
        try:
            store.delete(key)
        except BlobStoreError:
            log.warning("destruction: blob %s stays until blobs gc removes it", key)


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


def _casefiles_holding(item: EvidenceItem):
    return (
        select(CaseFile.reference, CaseFile.status)
        .join(CaseItem, CaseItem.casefile_id == CaseFile.id)
        .where(CaseItem.item_type == "evidence", CaseItem.item_id == item.id)
        .order_by(CaseFile.reference)
    )


def _casefile_references(item: EvidenceItem) -> list[str]:
    return [ref for ref, _status in db.session.execute(_casefiles_holding(item))]


def _refuse_if_part_of_a_record(item: EvidenceItem) -> None:
    """Items inside testimony, consent or an open case file leave through those records first."""
    still_open = [
        reference
        for reference, status in db.session.execute(_casefiles_holding(item))
        if status != CaseStatus.APPROVED.value
    ]
    if still_open:
        raise RetentionError(
            _(
                "This item is in a case file that is not closed (a draft or under review): "
                "%(casefiles)s. Remove it from the case file first, or wait until the case "
                "file is approved for referral.",
                casefiles=", ".join(still_open),
            )
        )
    if db.session.scalar(select(exists().where(ConsentRegrant.document_id == item.id))):
        raise RetentionError(
            _("This item documents a witness's consent and is kept with the consent record.")
        )
    refuse_unless_let_go(item)
