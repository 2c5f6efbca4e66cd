"""Putting jobs in line: `enqueue` into the caller's transaction, and `retry_job` for failed ones.

`enqueue(kind, payload)` adds a queued row to the caller's transaction and the job starts only
once that transaction commits (a rolled-back request starts nothing); the backend it starts on
is the app's (app/jobs/backends.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.backends import dispatch
from app.jobs.models import Job, JobState
from app.jobs.registry import is_registered
from app.jobs.state import requeue_failed

_PENDING_KEY = "jobs.pending"


def enqueue(kind: str, payload: dict, created_by: Any = None) -> Job:
    """Add a queued job to the caller's transaction; it starts when that transaction commits."""
    if not is_registered(kind):
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job(
        kind=kind,
        state=JobState.QUEUED.value,
        progress=0,
        message="Waiting to start.",
        payload=dict(payload),
        created_by_id=getattr(created_by, "id", None),
    )
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append((current_app._get_current_object(), job.id))
    return job


def retry_job(job_id: str) -> bool:
    """Put a failed job back in the queue with its progress reset; False if it is not failed.

    The caller has already decided the user may see the job (through the object it belongs
    to, via app.investigations.access).
    """
    if not requeue_failed(job_id):
        return False
    dispatch(current_app._get_current_object(), job_id)
    return True


@event.listens_for(Session, "after_commit")
def _dispatch_committed_jobs(session: Session) -> None:
    for app, job_id in session.info.pop(_PENDING_KEY, ()):
        dispatch(app, job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_jobs(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
