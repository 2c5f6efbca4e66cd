"""Mirroring legal holds onto S3 Object Lock: the object versions of held blobs carry its hold.

With `CUSTOS_S3_OBJECT_LOCK` on (a bucket created with Object Lock), placing a hold sets
Object Lock's legal hold on the current version of every original and derivative it covers,
so the object store itself refuses to delete them, whatever credentials ask; releasing a hold
clears it on the blobs no other hold still covers. Called after the database commit: the
object store is not part of the transaction, and a failure is reported, the hold in the
database standing either way.
"""

from __future__ import annotations

from flask import current_app

from app.retention.coverage import holds_on_evidence, items_under
from app.retention.models import LegalHold
from app.vault.storage import blob_store


def mirroring() -> bool:
    return bool(current_app.config.get("CUSTOS_S3_OBJECT_LOCK")) and hasattr(
        blob_store(), "set_legal_hold"
    )


def mirror_hold(hold: LegalHold) -> int:
    """Set or clear Object Lock's legal hold on every blob the hold covers; returns how many."""
    if not mirroring():
        return 0
    store = blob_store()
    changed = 0
    for item in items_under(hold):
        keep = bool(holds_on_evidence(item))
        for key in [item.blob_key] + [derivative.blob_key for derivative in item.derivatives]:
            store.set_legal_hold(key, keep)
            changed += 1
    return changed
