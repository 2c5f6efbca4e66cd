"""Evidence processing as a background job: its kind, its handler, and handing an item to it.

The handler is a thin wrapper over app/vault/processing.py, which is idempotent (it skips
what is done), so a retried job is harmless. create_app registers it (`register_vault_jobs`).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs.handle import JobFailed, JobHandle
from app.jobs.queue import enqueue
from app.jobs.registry import register_job_kind
from app.vault.processing import process_new_evidence
from app.vault.reading.evidence import EvidenceUnreadable

log = logging.getLogger(__name__)

EVIDENCE_PROCESSING = "evidence_processing"


def register_vault_jobs(app: Flask) -> None:
    register_job_kind(app, EVIDENCE_PROCESSING, process_evidence_job)


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


def process_evidence_job(job: JobHandle, payload: dict) -> None:
    try:
        process_new_evidence(payload["evidence_id"])
    except LookupError:
        raise JobFailed("The evidence item no longer exists.") from None
    except EvidenceUnreadable:
        db.session.rollback()
        # The item's own problem, not the worker's: a fixity sweep records it in the ledger.
        raise JobFailed("The stored file could not be read back; run a fixity check.") from None
    return None
