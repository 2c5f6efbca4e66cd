"""Fixity sweeps: decrypt and re-hash stored evidence, compare with intake, record in the ledger.

Each blob is streamed through the age reader (64 KiB chunks, each authenticated) into
SHA-256, so memory stays constant whatever the file size. A blob that cannot be decrypted
or fails authentication is a FAILED item like one whose hash differs: both mean the stored
bytes are not what was received. The evidence rows are only read, never changed: a failure
is evidence of its own, recorded in the ledger (issue 4, item 5).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.crypto.age.errors import AgeError
from app.custody.ledger import CustodyAction, append_custody_event
from app.custody.models import FixitySweep
from app.extensions import db
from app.investigations.models import Investigation
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobNotFound, BlobStoreError
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import open_plaintext

FIXITY_ACTOR = "system:fixity"


@dataclass(frozen=True)
class StoredObject:
    """One blob to check: an evidence original or a derivative."""

    investigation_id: str
    reference: str
    object_type: str  # "evidence" | "derivative"
    object_id: str
    blob_key: str
    sha256: str  # recorded when the object was stored
    size: int
    parent_id: str | None = None  # the evidence item a derivative was made from


@dataclass(frozen=True)
class FixityOutcome:
    target: StoredObject
    ok: bool
    reason: str | None = None  # e.g. "hash mismatch", "decryption failed (HeaderMacError)"
    actual_sha256: str | None = None
    bytes_read: int = 0

    def line(self) -> str:
        t = self.target
        return f"{t.reference} {t.object_type} {t.object_id}: {self.reason}"


def stored_objects(reference: str | None = None) -> list[StoredObject]:
    """Every evidence item and derivative (of one investigation), oldest first."""
    items = select(EvidenceItem, Investigation.reference).join(
        Investigation, Investigation.id == EvidenceItem.investigation_id
    )
    derivatives = select(Derivative, Investigation.reference).join(
        Investigation, Investigation.id == Derivative.investigation_id
    )
    if reference is not None:
        items = items.where(Investigation.reference == reference)
        derivatives = derivatives.where(Investigation.reference == reference)
    found = [
        StoredObject(i.investigation_id, ref, "evidence", i.id, i.blob_key, i.sha256, i.size)
        for i, ref in db.session.execute(items.order_by(EvidenceItem.received_at, EvidenceItem.id))
    ]
    found += [
        StoredObject(
            d.investigation_id, ref, "derivative", d.id, d.blob_key, d.sha256, d.size, d.evidence_id
        )
        for d, ref in db.session.execute(derivatives.order_by(Derivative.created_at, Derivative.id))
    ]
    return found


def check_object(target: StoredObject) -> FixityOutcome:
    """Decrypt and re-hash one blob, streaming; never raises for a bad blob, only reports it.

    ReadsDisabled (an intake-only node) is raised: such a node cannot check anything.
    """
    try:
        reader = open_plaintext(target.blob_key)
    except BlobNotFound:
        return FixityOutcome(target, False, "blob missing from the store")
    except AgeError as exc:
        return FixityOutcome(target, False, f"decryption failed ({type(exc).__name__})")
    except BlobStoreError as exc:
        return FixityOutcome(target, False, f"blob store error ({type(exc).__name__})")
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in reader.iter_all():
            digest.update(chunk)
            size += len(chunk)
    except AgeError as exc:
        # The STREAM tag of a chunk failed: the ciphertext was altered after intake.
        return FixityOutcome(
            target, False, f"decryption failed at byte {size} ({type(exc).__name__})", None, size
        )
    except BlobStoreError as exc:
        return FixityOutcome(target, False, f"blob store error ({type(exc).__name__})", None, size)
    finally:
        close = getattr(reader.source, "close", None)
        if close is not None:
            close()
    actual = digest.hexdigest()
    if size != target.size:
        return FixityOutcome(target, False, f"size {size}, recorded {target.size}", actual, size)
    if actual != target.sha256:
        return FixityOutcome(target, False, "sha256 differs from intake", actual, size)
    return FixityOutcome(target, True, None, actual, size)


def run_sweep(
    reference: str | None = None,
    sample: int | None = None,
    progress: Callable[[FixityOutcome], None] | None = None,
) -> tuple[FixitySweep, list[FixityOutcome]]:
    """Check every stored object (or a random ``sample`` of them) and record each result.

    Each result is committed with its ledger entry as it is found, so a sweep interrupted
    half-way keeps what it established. ``progress(outcome)`` is called after each.
    Returns the sweep summary and the failed outcomes.
    """
    if sample is not None and sample < 1:
        raise ValueError("--sample must be at least 1")
    targets = stored_objects(reference)
    if sample is not None and sample < len(targets):
        # SystemRandom: which items get checked must not be predictable by someone who
        # would like a tampered item to be skipped.
        targets = random.SystemRandom().sample(targets, sample)
    sweep = FixitySweep(scope=reference or "all", sample=sample, failures=[])
    db.session.add(sweep)
    db.session.commit()
    failures: list[FixityOutcome] = []
    for target in targets:
        outcome = check_object(target)
        _record(sweep, outcome)
        sweep.checked += 1
        sweep.bytes_checked += outcome.bytes_read
        if not outcome.ok:
            failures.append(outcome)
            sweep.failed += 1
            sweep.failures = [*sweep.failures, _failure_summary(outcome)]
        db.session.commit()
        if progress is not None:
            progress(outcome)
    sweep.finished_at = utcnow()
    db.session.commit()
    return sweep, failures


def _record(sweep: FixitySweep, outcome: FixityOutcome) -> None:
    target = outcome.target
    details: dict = {"sweep": sweep.id, "sha256": target.sha256, "size": target.size}
    if target.parent_id is not None:
        details["evidence_id"] = target.parent_id
    if outcome.ok:
        action = CustodyAction.FIXITY_VERIFIED
    else:
        action = CustodyAction.FIXITY_FAILED
        details["reason"] = outcome.reason
        details["bytes_read"] = outcome.bytes_read
        if outcome.actual_sha256 is not None:
            details["actual_sha256"] = outcome.actual_sha256
    append_custody_event(
        target.investigation_id,
        FIXITY_ACTOR,
        action,
        target.object_type,
        target.object_id,
        details,
    )


def _failure_summary(outcome: FixityOutcome) -> dict:
    target = outcome.target
    return {
        "investigation": target.reference,
        "object_type": target.object_type,
        "object_id": target.object_id,
        "reason": outcome.reason,
    }


def last_sweeps(limit: int = 10) -> list[FixitySweep]:
    """The most recent sweeps, newest first (for the admin page)."""
    return list(
        db.session.scalars(
            select(FixitySweep)
            .order_by(FixitySweep.started_at.desc(), FixitySweep.id.desc())
            .limit(limit)
        )
    )
