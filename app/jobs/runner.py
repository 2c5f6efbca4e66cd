"""Enqueue jobs and run them: in a background thread of this process (the embedded default).

The interface is what a queue-backed runner (RQ, issue 8) keeps: `enqueue(kind, payload)` adds
a queued row to the caller's transaction and the job starts only once that transaction commits
(a rolled-back request starts nothing); `run_job(job_id)` is what a worker calls; handlers are
registered per kind with `@handler("kind")` and report progress through a `JobHandle`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.heartbeat import Heartbeat
from app.jobs.models import Job, JobState
from app.timeutil import utcnow

log = logging.getLogger(__name__)

_PENDING_KEY = "jobs.pending"
_HANDLERS: dict[str, Callable[[JobHandle, dict], str | None]] = {}
# Progress rows are written at most this often (each write is its own small transaction).
PROGRESS_INTERVAL_SECONDS = 0.5


class JobFailed(Exception):
    """A handler's expected failure; its message is shown to the user as it is."""


def handler(kind: str) -> Callable:
    """Register the function that runs jobs of `kind`: fn(handle, payload) -> result path."""

    def register(fn: Callable[[JobHandle, dict], str | None]) -> Callable:
        _HANDLERS[kind] = fn
        return fn

    return register


class JobHandle:
    """What a running handler sees: its job id and a throttled progress reporter."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._last_write = 0.0
        self._last_percent = -1

    def progress(self, percent: float, message: str = "", force: bool = False) -> None:
        percent_int = max(0, min(100, int(percent)))
        now = time.monotonic()
        if not force and percent_int == self._last_percent:
            return
        if not force and now - self._last_write < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_write, self._last_percent = now, percent_int
        values: dict[str, Any] = {"progress": percent_int}
        if message:
            values["message"] = message[:500]
        _write_state(self.job_id, **values)


def enqueue(kind: str, payload: dict, created_by: Any = None) -> Job:
    """Add a queued job to the caller's transaction; it starts when that transaction commits."""
    if kind not in _HANDLERS:
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
    fn = _HANDLERS[job.kind]
    payload = dict(job.payload or {})
    kind = job.kind
    db.session.rollback()  # release the read before the long work
    runner = runner or runner_name()
    if not _claim(job_id, runner):
        return  # another runner took it first
    interval = current_app.config["CUSTOS_JOB_HEARTBEAT_SECONDS"]
    with Heartbeat(db.engine, job_id, runner, interval):
        _run_claimed(job_id, kind, fn, payload, runner)


def _claim(job_id: str, runner: str) -> bool:
    table = Job.__table__
    now = utcnow()
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(table)
            .where(table.c.id == job_id, table.c.state == JobState.QUEUED.value)
            .values(
                state=JobState.RUNNING.value,
                started_at=now,
                heartbeat_at=now,
                runner=runner,
                message="Started.",
            )
        ).rowcount
    return bool(claimed)


def _run_claimed(job_id: str, kind: str, fn: Callable, payload: dict, runner: str) -> None:
    # The final state is written only while this runner still holds the row: a run that was
    # declared dead (stale heartbeat) and retried elsewhere must not overwrite the retry's.
    try:
        result = fn(JobHandle(job_id), payload)
    except JobFailed as exc:
        db.session.rollback()
        _write_state(job_id, runner, state=JobState.FAILED.value, message=str(exc)[:500])
        return
    except Exception as exc:
        db.session.rollback()
        # The type only: messages may quote data. The user sees that it failed, not why.
        log.exception("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
        _write_state(
            job_id,
            runner,
            state=JobState.FAILED.value,
            message="The job failed on the server; nothing was delivered. Try again.",
        )
        return
    _write_state(
        job_id,
        runner,
        state=JobState.DONE.value,
        progress=100,
        result_path=result,
        message="Done.",
    )


def _write_state(job_id: str, runner: str | None = None, **values: Any) -> None:
    table = Job.__table__
    if values.get("state") in (JobState.DONE.value, JobState.FAILED.value):
        values["finished_at"] = utcnow()
    condition = table.c.id == job_id
    if runner is not None:
        condition &= (table.c.runner == runner) & (table.c.state == JobState.RUNNING.value)
    # A connection of its own: progress is visible to the polling browser at once, whatever
    # the handler's own session holds.
    with db.engine.begin() as conn:
        conn.execute(update(table).where(condition).values(**values))


def _run_in_thread(app: Flask, job_id: str) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def start_thread(app: Flask, job_id: str) -> threading.Thread:
    thread = threading.Thread(
        target=_run_in_thread, args=(app, job_id), name=f"job-{job_id}", daemon=True
    )
    thread.start()
    return thread


@event.listens_for(Session, "after_commit")
def _dispatch_committed_jobs(session: Session) -> None:
    from app.jobs.runners import dispatch  # the backend: thread, inline or RQ (issue 8)

    for app, job_id in session.info.pop(_PENDING_KEY, ()):
        dispatch(app, job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_jobs(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
