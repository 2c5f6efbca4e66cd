"""Running one job to its end: claim the row, keep the heartbeat, call the handler, record it.

`run_job(job_id)` is what every backend calls (a thread of the web process, the committing
thread, an RQ work horse). The handler is the one the app registered for the job's kind
(app/jobs/registry.py); it reports progress through a `JobHandle` (app/jobs/handle.py).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket

from flask import current_app

from app.extensions import db
from app.jobs.handle import JobFailed, JobHandle
from app.jobs.heartbeat import Heartbeat
from app.jobs.models import Job, JobState
from app.jobs.registry import JobHandler, handler_for
from app.jobs.state import claim, write_state

log = logging.getLogger(__name__)


def runner_name(prefix: str = "thread") -> str:
    """A name for one run of a job: where it runs (host, pid) and a token of this run alone."""
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-120:]


def run_job(job_id: str, runner: str | None = None) -> None:
    """Run one queued job to the end, recording running, done or failed (a worker's entry).

    The queued row is claimed with a compare-and-swap, so two runners handed the same job
    (a retry racing a late redelivery) run it once; while it runs, a heartbeat thread stamps
    the row, and a job whose heartbeat stops is failed by app/jobs/stale.py.
    """
    job = db.session.get(Job, job_id)
    if job is None or job.state != JobState.QUEUED.value:
        return
    fn = handler_for(job.kind)
    payload = dict(job.payload or {})
    kind = job.kind
    db.session.rollback()  # release the read before the long work
    runner = runner or runner_name()
    if not claim(job_id, runner):
        return  # another runner took it first
    interval = current_app.config["CUSTOS_JOB_HEARTBEAT_SECONDS"]
    with Heartbeat(db.engine, job_id, runner, interval):
        _run_claimed(job_id, kind, fn, payload, runner)


def _run_claimed(job_id: str, kind: str, fn: JobHandler, payload: dict, runner: str) -> None:
    # The final state is written only while this runner still holds the row: a run that was
    # declared dead (stale heartbeat) and retried elsewhere must not overwrite the retry's.
    try:
        result = fn(JobHandle(job_id), payload)
    except JobFailed as exc:
        db.session.rollback()
        write_state(job_id, runner, state=JobState.FAILED.value, message=str(exc)[:500])
        return
    except Exception as exc:
        db.session.rollback()
        # The type only: messages may quote data. The user sees that it failed, not why.
        log.exception("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
        write_state(
            job_id,
            runner,
            state=JobState.FAILED.value,
            message="The job failed on the server; nothing was delivered. Try again.",
        )
        return
    write_state(
        job_id,
        runner,
        state=JobState.DONE.value,
        progress=100,
        result_path=result,
        message="Done.",
    )
