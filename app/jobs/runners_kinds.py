"""The slow work Custos queues for itself: media processing after intake, and fixity sweeps.

Each handler is a thin wrapper over the function that does the work (app/vault/processing.py,
app/custody/fixity.py), so the CLI, the in-process runner and an RQ worker run the same code.
Both are idempotent: media processing skips what is done, a sweep only adds ledger entries.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.custody.fixity import FixityOutcome, run_sweep, stored_objects
from app.extensions import db
from app.jobs.models import Job
from app.jobs.runner import JobFailed, JobHandle, enqueue, handler
from app.security.org_keys import ReadsDisabled

log = logging.getLogger(__name__)

EVIDENCE_PROCESSING = "evidence_processing"
FIXITY_SWEEP = "fixity_sweep"


def queue_evidence_processing(evidence_id: str) -> bool:
    """Queue media processing for a committed item when a job queue (RQ) runs it elsewhere.

    Returns False on the embedded backends, where the caller processes the item at once as it
    always has (a single machine has no worker to hand it to; the upload waits for it).
    """
    if current_app.config.get("CUSTOS_JOB_BACKEND") != "rq":
        return False
    try:
        enqueue(EVIDENCE_PROCESSING, {"evidence_id": evidence_id})
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The item is stored either way; without a queued job, process it now instead.
        log.warning("evidence %s: processing not queued (%s)", evidence_id, type(exc).__name__)
        return False
    return True


def queue_fixity_sweep(reference: str | None = None, sample: int | None = None) -> Job:
    """Queue a sweep of every stored object (or of one investigation, or a random sample)."""
    if sample is not None and sample < 1:
        raise ValueError("sample must be at least 1")
    job = enqueue(FIXITY_SWEEP, {"reference": reference, "sample": sample})
    db.session.commit()
    return job


@handler(EVIDENCE_PROCESSING)
def process_evidence_job(job: JobHandle, payload: dict) -> None:
    from app.vault.processing import process_new_evidence
    from app.vault.reading import EvidenceUnreadable

    try:
        process_new_evidence(payload["evidence_id"])
    except LookupError:
        raise JobFailed("The evidence item no longer exists.") from None
    except EvidenceUnreadable:
        db.session.rollback()
        # The item's own problem, not the worker's: a fixity sweep records it in the ledger.
        raise JobFailed("The stored file could not be read back; run a fixity check.") from None
    return None


@handler(FIXITY_SWEEP)
def fixity_sweep_job(job: JobHandle, payload: dict) -> None:
    reference, sample = payload.get("reference"), payload.get("sample")
    total = len(stored_objects(reference))
    if sample is not None:
        total = min(total, sample)
    db.session.rollback()  # release the read before the long work
    done = 0

    def report(outcome: FixityOutcome) -> None:
        nonlocal done
        done += 1
        job.progress(100 * done / max(total, 1), f"Checked {done} of {total} stored objects.")

    try:
        sweep, failures = run_sweep(reference, sample, progress=report)
    except ReadsDisabled:
        raise JobFailed(
            "This worker is an intake-only node and cannot decrypt; run sweeps on one that can."
        ) from None
    if failures:
        # The sweep did its work; its finding is what the operator must see.
        raise JobFailed(
            f"Fixity sweep {sweep.id}: {len(failures)} of {sweep.checked} stored objects "
            "failed; see Admin, Fixity."
        )
    return None
