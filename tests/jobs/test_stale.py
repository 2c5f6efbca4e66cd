"""Jobs whose runner died: the heartbeat, the stale reaper, and the claim that runs a job once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import enqueue, retry_job
from app.jobs.registry import register_job_kind
from app.jobs.run import run_job
from app.jobs.stale import WORKER_STOPPED, reap_stale_jobs
from app.timeutil import utcnow

CALLS: list[str] = []
RELEASE = threading.Event()
STARTED = threading.Event()


def _counted(job, payload):
    CALLS.append(job.job_id)
    return f"/results/{payload['n']}"


def _half_second(job, payload):
    time.sleep(0.5)  # long enough that a command not waiting for it returns before it ends
    CALLS.append(job.job_id)
    return None


def _slow(job, payload):
    STARTED.set()
    RELEASE.wait(20)
    return "/results/slow"


@pytest.fixture
def quick_beats(app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "inline")
    monkeypatch.setitem(app.config, "CUSTOS_JOB_HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "CUSTOS_JOB_STALE_SECONDS", 1)
    register_job_kind(app, "test_stale_counted", _counted)
    register_job_kind(app, "test_stale_half_second", _half_second)
    register_job_kind(app, "test_stale_slow", _slow)
    CALLS.clear()
    RELEASE.clear()
    STARTED.clear()


def fresh(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def running_row(heartbeat_age: float | None, started_age: float = 3600) -> Job:
    now = utcnow()
    job = Job(
        kind="test_stale_counted",
        state="running",
        payload={"n": 1},
        started_at=now - timedelta(seconds=started_age),
        heartbeat_at=None if heartbeat_age is None else now - timedelta(seconds=heartbeat_age),
        runner="thread:elsewhere:1:dead",
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_a_running_job_whose_heartbeat_stopped_is_failed_with_the_reason(app_ctx, quick_beats):
    dead = running_row(heartbeat_age=30)
    silent_from_start = running_row(heartbeat_age=None)
    alive = running_row(heartbeat_age=0)
    reaped = reap_stale_jobs()
    assert sorted(reaped) == sorted([dead.id, silent_from_start.id])
    for job_id in (dead.id, silent_from_start.id):
        failed = fresh(job_id)
        assert (failed.state, failed.message, failed.finished) == ("failed", WORKER_STOPPED, True)
    assert fresh(alive.id).state == "running"


def test_a_failed_stale_job_can_be_retried_and_runs_once(app_ctx, quick_beats):
    dead = running_row(heartbeat_age=30)
    reap_stale_jobs(dead.id)
    assert retry_job(dead.id) is True  # inline: runs to the end here
    done = fresh(dead.id)
    assert (done.state, done.result_path) == ("done", "/results/1")
    assert CALLS == [dead.id]
    assert retry_job(dead.id) is False  # done jobs are not retried


def test_a_long_job_keeps_beating_and_is_not_reaped(app, app_ctx, quick_beats, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "thread")
    job = enqueue("test_stale_slow", {})
    db.session.commit()
    assert STARTED.wait(10)
    time.sleep(1.6)  # longer than the stale window: only the heartbeat keeps it alive
    assert reap_stale_jobs() == []
    first_beat = fresh(job.id).heartbeat_at
    time.sleep(0.5)
    assert fresh(job.id).heartbeat_at > first_beat
    RELEASE.set()
    deadline = time.monotonic() + 10
    while fresh(job.id).state != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fresh(job.id).state == "done"


def test_a_job_is_run_once_however_many_runners_are_handed_it(app, app_ctx, quick_beats):
    job = Job(kind="test_stale_counted", state="queued", payload={"n": 2})
    db.session.add(job)
    db.session.commit()
    runners = [threading.Thread(target=_run_in_context, args=(app, job.id)) for _ in range(3)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(10)
    assert CALLS == [job.id]
    assert fresh(job.id).state == "done"


def _run_in_context(app, job_id: str) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def test_a_run_declared_dead_does_not_overwrite_its_retry(app, app_ctx, quick_beats):
    """A runner that was only silent (not dead) finishes late: the retry's state stands."""
    job = Job(kind="test_stale_slow", state="queued", payload={})
    db.session.add(job)
    db.session.commit()
    worker = threading.Thread(target=_run_in_context, args=(app, job.id))
    worker.start()
    assert STARTED.wait(10)
    # Declare it dead (as the reaper does when beats go missing) and retry it elsewhere.
    db.session.execute(
        Job.__table__.update()
        .where(Job.__table__.c.id == job.id)
        .values(state="failed", message=WORKER_STOPPED)
    )
    db.session.commit()
    db.session.execute(
        Job.__table__.update()
        .where(Job.__table__.c.id == job.id)
        .values(state="running", runner="thread:retry:2:new", message="Started.")
    )
    db.session.commit()
    RELEASE.set()
    worker.join(10)
    after = fresh(job.id)
    assert (after.state, after.runner) == ("running", "thread:retry:2:new")


def test_flask_jobs_retry_on_the_thread_backend_returns_once_the_job_has_run(
    app, app_ctx, quick_beats, monkeypatch
):
    """The CLI's process ends with the command: a job in one of its threads must finish first."""
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "thread")
    job = Job(kind="test_stale_half_second", state="failed", payload={}, message=WORKER_STOPPED)
    db.session.add(job)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "retry", job.id])
    assert result.exit_code == 0, result.output
    assert (fresh(job.id).state, CALLS) == ("done", [job.id])
