"""The RQ side of background jobs: the worker `flask worker` runs and the function it calls.

Each job runs in a fresh app context (its own database session). The default worker forks a
work horse per job, as RQ does: a job that crashes or leaks memory (ffmpeg on a hostile
video) takes its horse down, not the worker; the horse drops the connections it inherited
from the parent before it touches the database (SQLAlchemy: pools are not fork-safe).

A horse killed mid-job (kill -9, out of memory) is retried by RQ up to CUSTOS_JOB_RETRIES
times; the retry finds its row still `running`, reopens it, and runs the handler again, which
is why handlers must be idempotent (media processing and fixity are). When no retry is left,
the row is marked failed with a reason the user can act on. A worker lost with its horse
(the machine went down) leaves a row whose heartbeat stops: the next worker's maintenance
round, or the job's progress page, marks it failed (app/jobs/stale.py). Each maintenance round
also calls the hooks packages registered for it (app/jobs/registry.py): case files remove what
failed exports left on disk.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from functools import partial

from flask import Flask
from rq import Queue, SimpleWorker, Worker, get_current_job
from rq.job import Job as RQJob
from sqlalchemy import update

from app.extensions import db
from app.jobs.backends import redis_connection
from app.jobs.models import Job, JobState
from app.jobs.registry import maintenance_hooks, preload_hooks
from app.jobs.run import run_job, runner_name
from app.jobs.stale import reap_stale_jobs
from app.jobs.state import mark_failed

log = logging.getLogger(__name__)

_ATTEMPT_META = "custos_attempt"
WORKER_LOST = (
    "The worker running this job stopped before it finished, and it was not retried again. "
    "Nothing was delivered; try again."
)


def perform(job_id: str) -> None:
    """Run one row of the jobs table (RQ's entry point, called inside the worker's context)."""
    current = get_current_job()
    attempt = 1
    prefix = "rq"
    if current is not None:
        attempt = int(current.meta.get(_ATTEMPT_META, 0)) + 1
        current.meta[_ATTEMPT_META] = attempt
        current.save_meta()
        prefix = f"rq:{current.id}"
        if attempt > 1:
            _reopen_interrupted(job_id, prefix)
    run_job(job_id, runner=runner_name(prefix))


def _reopen_interrupted(job_id: str, prefix: str) -> None:
    # Only RQ's own retry gets here, after the horse that had the job died. The row is taken
    # back only from a run of this same RQ job: if the row was failed as stale meanwhile and
    # retried by a user (a new RQ job), that run is not ours to restart.
    table = Job.__table__
    with db.engine.begin() as conn:
        reopened = conn.execute(
            update(table)
            .where(
                table.c.id == job_id,
                table.c.state == JobState.RUNNING.value,
                table.c.runner.like(f"{prefix}:%"),
            )
            .values(state=JobState.QUEUED.value, message="Restarted after the worker stopped.")
        ).rowcount
    if reopened:
        log.warning("job %s restarted after its worker stopped", job_id)


class _AppContextWorker:
    """Runs each job inside the Flask app the worker was started with."""

    app: Flask

    def perform_job(self, job: RQJob, queue: Queue) -> bool:
        with self.app.app_context():
            if getattr(self, "_is_horse", False):
                db.engine.dispose(close=False)  # the parent's connections are not ours to use
            try:
                return super().perform_job(job, queue)  # type: ignore[misc]
            finally:
                db.session.remove()

    def clean_registries(self) -> None:
        """RQ's maintenance round (at start, then every few minutes), then ours."""
        super().clean_registries()  # type: ignore[misc]
        run_maintenance(self.app)


def run_maintenance(app: Flask) -> None:
    """Fail the running jobs whose heartbeat stopped, then call each registered hook."""
    with app.app_context():
        try:
            reap_stale_jobs()
            for hook in maintenance_hooks(app):
                hook()
        finally:
            db.session.remove()


def run_preloads(app: Flask) -> None:
    """Load once, in the worker, what the registered kinds of job need (before any fork).

    Then everything loaded so far is moved out of the cyclic garbage collector's reach, as
    app/warmup.py does for web workers: a horse's full collections no longer walk the app,
    WeasyPrint and the fonts (seconds of an export's report on a loaded machine), nor write
    to the pages it shares with the worker.
    """
    with app.app_context():
        for hook in preload_hooks(app):
            hook()
    gc.collect()
    gc.freeze()


class CustosWorker(_AppContextWorker, Worker):
    """The production worker: one forked horse per job."""


class CustosSimpleWorker(_AppContextWorker, SimpleWorker):
    """Runs jobs in the worker's own process (tests, and platforms without fork)."""


def make_worker(
    app: Flask, queue_names: Sequence[str] | None = None, in_process: bool = False
) -> Worker:
    """A worker bound to `app`, listening on its job queue (or the given queue names)."""
    names = list(queue_names or [app.config["CUSTOS_JOB_QUEUE"]])
    connection = redis_connection(app)
    worker_class = CustosSimpleWorker if in_process else CustosWorker
    worker = worker_class(
        [Queue(name, connection=connection) for name in names],
        connection=connection,
        work_horse_killed_handler=partial(_horse_killed, app),
        # The job's description is "app.jobs.worker.perform('<id>')": an id, nothing else.
        log_job_description=True,
    )
    worker.app = app
    return worker


def serve(app: Flask, queues: Sequence[str], burst: bool, in_process: bool) -> None:
    """Load what jobs need, then run jobs from Redis (`flask worker`, app/worker_main.py).

    Raises ValueError when REDIS_URL is not set, RedisError (with a message naming only the
    error's kind) when Redis cannot be reached.
    """
    from redis.exceptions import RedisError

    if not app.config.get("REDIS_URL"):
        raise ValueError(
            "REDIS_URL is not set: the worker runs jobs from Redis. Set CUSTOS_JOB_BACKEND=rq "
            "and REDIS_URL on the web servers and the workers."
        )
    try:
        worker = make_worker(app, queues or None, in_process=in_process)
        run_preloads(app)
        worker.work(burst=burst, logging_level=app.config.get("LOG_LEVEL", "INFO"))
    except RedisError as exc:
        raise RedisError(f"Redis is unreachable ({type(exc).__name__})") from exc


def _horse_killed(app: Flask, job: RQJob, retpid: int, ret_val: int, rusage: object) -> None:
    if job.should_retry:
        return  # RQ puts it back on the queue; perform() reopens the row
    if not job.args:
        return
    with app.app_context():
        mark_failed(str(job.args[0]), WORKER_LOST)
