"""The fixity sweep as a background job: its kind, its handler, and queueing one.

The handler is a thin wrapper over app/custody/fixity.py, so `flask fixity`, the in-process
runner and an RQ worker run the same code; a sweep only adds ledger entries, so a retried
sweep is harmless. create_app registers it (`register_custody_jobs`), with the custody
maintenance each worker round runs (expiring client-address digests, RFC 3161 timestamps).
"""

from __future__ import annotations

from flask import Flask

from app.custody.fixity import FixityOutcome, run_sweep, stored_objects
from app.custody.origins import purge_origins
from app.custody.timestamps import run_round
from app.extensions import db
from app.jobs.handle import JobFailed, JobHandle
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.registry import register_job_kind, register_maintenance
from app.security.org_keys import ReadsDisabled

FIXITY_SWEEP = "fixity_sweep"


def register_custody_jobs(app: Flask) -> None:
    register_job_kind(app, FIXITY_SWEEP, fixity_sweep_job)
    register_maintenance(app, custody_maintenance)


def custody_maintenance() -> None:
    """Each worker maintenance round: drop client-address digests past their retention,
    and ask the timestamp authorities for tokens of the newest checkpoints."""
    purge_origins(db.session)
    db.session.commit()
    run_round(db.session)


def queue_fixity_sweep(reference: str | None = None, sample: int | None = None) -> Job:
    """Queue a sweep of every stored object (or of one investigation, or a random sample)."""
    if sample is not None and sample < 1:
        raise ValueError("sample must be at least 1")
    job = enqueue(FIXITY_SWEEP, {"reference": reference, "sample": sample})
    db.session.commit()
    return job


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
