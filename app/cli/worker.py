"""`flask worker` (run queued jobs) and `flask jobs list|retry|fixity` (look at and queue them)."""

from __future__ import annotations

import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.jobs.models import Job

jobs_cli = AppGroup("jobs", help="Background jobs: list, retry, queue a fixity sweep.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    metavar="NAME",
    help="Listen on this queue (repeatable; default: CUSTOS_JOB_QUEUE).",
)
@click.option(
    "--in-process",
    is_flag=True,
    help="Run jobs in this process instead of a forked horse per job.",
)
@with_appcontext
def worker_command(burst: bool, queues: tuple[str, ...], in_process: bool) -> None:
    """Run background jobs from the Redis queue (CUSTOS_JOB_BACKEND=rq, REDIS_URL).

    Start as many as the machine has cores for, on any machine that reaches the database,
    the blob store and Redis and holds the keys (media processing and fixity decrypt).
    """
    from redis.exceptions import RedisError

    from app.jobs.worker import serve

    try:
        serve(current_app._get_current_object(), queues, burst, in_process)
    except (RedisError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


@jobs_cli.command("list")
@click.option("--state", type=click.Choice(["queued", "running", "done", "failed"]))
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def list_jobs(state: str | None, limit: int) -> None:
    """The newest jobs: id, kind, state, progress and the message users see."""
    from app.jobs.stale import reap_stale_jobs

    reap_stale_jobs()  # a running job whose runner died is listed as failed, with the reason
    stmt = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if state:
        stmt = stmt.where(Job.state == state)
    for job in db.session.scalars(stmt):
        click.echo(f"{job.id} {job.kind} {job.state} {job.progress}% {job.message}")


def _wait_if_threaded(job_id: str) -> None:
    """On the `thread` backend the job runs in a thread of this CLI process, which would take
    it down when the command exits: wait for it to finish instead."""
    if current_app.config.get("CUSTOS_JOB_BACKEND", "thread") != "thread":
        return
    for thread in threading.enumerate():
        if thread.name == f"job-{job_id}":
            click.echo("running it in this process (CUSTOS_JOB_BACKEND=thread)...")
            thread.join()


@jobs_cli.command("retry")
@click.argument("job_id")
def retry(job_id: str) -> None:
    """Put a failed job back in the queue."""
    from app.jobs.queue import retry_job

    if db.session.get(Job, job_id) is None:
        click.echo(f"error: no job {job_id}", err=True)
        sys.exit(2)
    if not retry_job(job_id):
        click.echo(f"error: job {job_id} has not failed; only failed jobs are retried", err=True)
        sys.exit(1)
    click.echo(f"queued again: {job_id}")
    _wait_if_threaded(job_id)


@jobs_cli.command("fixity")
@click.option("--investigation", "reference", metavar="REF", help="Only this investigation.")
@click.option("--sample", type=click.IntRange(min=1), help="Check N objects picked at random.")
def queue_fixity(reference: str | None, sample: int | None) -> None:
    """Queue a fixity sweep as a background job (for cron on a web node; a worker runs it)."""
    from app.custody.jobs import queue_fixity_sweep

    job = queue_fixity_sweep(reference.strip().upper() if reference else None, sample)
    click.echo(f"queued fixity sweep: job {job.id}")
    _wait_if_threaded(job.id)
