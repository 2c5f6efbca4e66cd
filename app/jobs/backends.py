"""Where committed jobs run: inline, in a thread of this process, or on an RQ queue in Redis.

`CUSTOS_JOB_BACKEND` picks one per deployment (config.py):

- ``thread`` (the embedded default): a daemon thread of the web process; needs no Redis. A job
  running when the process dies is lost with it (its row stops beating and is failed as stale;
  retry it).
- ``inline``: in the committing thread, right after the commit (CLI runs and tests).
- ``rq``: pushed to the Redis queue ``CUSTOS_JOB_QUEUE`` and run by `flask worker`
  (app/jobs/worker.py), on this machine or another. Redis holds only the job id: the kind,
  payload, state and progress stay in the ``jobs`` table, so nothing about a witness or an
  item is ever written to Redis.

The jobs table is the single source of what a user sees (progress, failure with its reason).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from app.extensions import db
from app.jobs.run import run_job
from app.jobs.state import mark_failed

log = logging.getLogger(__name__)

_REDIS_EXTENSION = "custos.redis"
# What RQ calls on the worker side, by import path (the worker imports it, not pickles it).
RQ_ENTRY_POINT = "app.jobs.worker.perform"
QUEUE_UNAVAILABLE = "The job queue could not be reached, so the job did not start. Try again."


def dispatch(app: Flask, job_id: str) -> None:
    """Start a committed job on the app's backend (called once its row is committed)."""
    backend = app.config.get("CUSTOS_JOB_BACKEND", "thread")
    if backend == "rq":
        _push_to_queue(app, job_id)
    elif backend == "inline":
        _run_in_context(app, job_id)
    else:
        _start_thread(app, job_id)


def _start_thread(app: Flask, job_id: str) -> threading.Thread:
    thread = threading.Thread(
        target=_run_in_context, args=(app, job_id), name=f"job-{job_id}", daemon=True
    )
    thread.start()
    return thread


def _run_in_context(app: Flask, job_id: str) -> None:
    # A context of its own, hence a session of its own: inline, the committing session is
    # mid-event; in a thread, there is no context at all.
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def redis_connection(app: Flask):
    """The app's Redis client (one pool per app; redis-py clients are thread-safe)."""
    connection = app.extensions.get(_REDIS_EXTENSION)
    if connection is None:
        from redis import Redis

        connection = Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=30
        )
        app.extensions[_REDIS_EXTENSION] = connection
    return connection


def job_queue(app: Flask):
    from rq import Queue

    return Queue(app.config["CUSTOS_JOB_QUEUE"], connection=redis_connection(app))


def _push_to_queue(app: Flask, job_id: str) -> None:
    from redis.exceptions import RedisError
    from rq import Retry

    retries = app.config["CUSTOS_JOB_RETRIES"]
    try:
        job_queue(app).enqueue(
            RQ_ENTRY_POINT,
            job_id,
            job_timeout=app.config["CUSTOS_JOB_TIMEOUT_SECONDS"],
            # Retries cover a worker that died mid-job (kill -9, OOM, a lost machine); a
            # handler's own errors are recorded as failed in the jobs table, never retried
            # behind the user's back.
            retry=Retry(max=retries) if retries else None,
            result_ttl=0,  # the result lives in the jobs table
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError as exc:
        log.warning("job %s not queued: Redis unreachable (%s)", job_id, type(exc).__name__)
        with app.app_context():
            mark_failed(job_id, QUEUE_UNAVAILABLE)
