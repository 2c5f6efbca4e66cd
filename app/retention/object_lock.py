"""Mirroring legal holds onto S3 Object Lock: the object versions of held blobs carry its hold.

With `CUSTOS_S3_OBJECT_LOCK` on (a bucket created with Object Lock), placing a hold sets
Object Lock's legal hold on the current version of every original and derivative it covers,
so the object store itself refuses to delete them, whatever credentials ask; releasing a hold
clears it on the blobs no other hold still covers. Called after the database commit, since the
object store is not part of the transaction; what it does not take is noted and retried
(lock_pending.py).

What comes under a hold after it was placed gets the lock too: an item uploaded into a held
investigation, a derivative made of a held item, an item (or an interview it is attached to)
gathered into a held case file, an item attached to a held witness's interview. Every flush
notes the new rows of those kinds whose item a hold now covers; once the transaction commits,
their blobs' current versions get the legal hold (nothing is locked for a rolled-back one).
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.casefiles.models import CaseItem
from app.extensions import db
from app.intake.models.interviews import InterviewEvidence
from app.retention.coverage import holds_on_evidence, holds_on_evidence_id, items_under
from app.retention.lock_pending import mirroring, pending_locks, set_lock
from app.retention.models import LegalHold, ObjectLockPending
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store

_PENDING_KEY = "custos.object_lock_pending"


def mirror_hold(hold: LegalHold) -> int:
    """Set or clear Object Lock's legal hold on every blob the hold covers; returns how many."""
    if not mirroring():
        return 0
    store = blob_store()
    waiting = {pending.blob_key for pending in pending_locks(hold.investigation_id)}
    changed = 0
    for item in items_under(hold):
        keep = bool(holds_on_evidence(item))
        for key in [item.blob_key] + [derivative.blob_key for derivative in item.derivatives]:
            changed += set_lock(store, key, keep, item.investigation_id, key in waiting)
    return changed


def mirror_every_hold() -> int:
    """Set the legal hold on every blob a hold in force covers; returns how many took it.

    For a restore into a new bucket: the backup holds the blobs and the holds, not the object
    store's locks. What the store does not take is noted as waiting, as for any hold.
    """
    if not mirroring():
        return 0
    in_force = db.session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None)))
    return sum(mirror_hold(hold) for hold in list(in_force))


def _evidence_ids_touched(session: Session, rows) -> set[str]:
    """The evidence items that the new rows may have brought under a hold."""
    ids: set[str] = set()
    interviews: set[str] = set()
    for row in rows:
        if isinstance(row, EvidenceItem):
            ids.add(row.id)
        elif isinstance(row, Derivative | InterviewEvidence):
            ids.add(row.evidence_id)
        elif isinstance(row, CaseItem) and row.item_type == "evidence":
            ids.add(row.item_id)
        elif isinstance(row, CaseItem) and row.item_type == "interview":
            interviews.add(row.item_id)
    if interviews:
        attached = select(InterviewEvidence.evidence_id).where(
            InterviewEvidence.interview_id.in_(interviews)
        )
        ids.update(session.scalars(attached))
    return ids


def _held_blob_keys(session: Session, evidence_ids: set[str]) -> dict[str, str]:
    """Blob key -> its investigation, for the blobs of those items a hold now covers."""
    keys: dict[str, str] = {}
    items = session.execute(
        select(EvidenceItem.id, EvidenceItem.investigation_id, EvidenceItem.blob_key).where(
            EvidenceItem.id.in_(evidence_ids)
        )
    )
    for evidence_id, investigation_id, blob_key in list(items):
        if holds_on_evidence_id(investigation_id, evidence_id):
            keys[blob_key] = investigation_id
            derivatives = session.scalars(
                select(Derivative.blob_key).where(Derivative.evidence_id == evidence_id)
            )
            keys.update((key, investigation_id) for key in derivatives)
    return keys


@event.listens_for(Session, "after_flush")
def _note_newly_covered(session: Session, _flush_context) -> None:
    if not has_app_context() or not current_app.config.get("CUSTOS_S3_OBJECT_LOCK"):
        return
    if not mirroring():
        return
    evidence_ids = _evidence_ids_touched(session, list(session.new))
    if evidence_ids:
        session.info.setdefault(_PENDING_KEY, {}).update(_held_blob_keys(session, evidence_ids))


@event.listens_for(Session, "after_commit")
def _lock_newly_covered(session: Session) -> None:
    keys = session.info.pop(_PENDING_KEY, None)
    if not keys or not has_app_context():
        return
    store = blob_store()
    with db.engine.connect() as connection:  # the session cannot emit SQL in after_commit
        waiting = set(
            connection.scalars(
                select(ObjectLockPending.blob_key).where(ObjectLockPending.blob_key.in_(keys))
            )
        )
    for key in sorted(keys):
        set_lock(store, key, True, keys[key], key in waiting)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
