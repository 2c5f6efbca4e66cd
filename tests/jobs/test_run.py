"""Running a job: it starts on commit only, records progress, done, and failure with a reason."""

from __future__ import annotations

import threading
import time

import pytest

from app.extensions import db
from app.jobs.handle import JobFailed
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.registry import register_job_kind

RELEASE = threading.Event()


def _sleepy(job, payload):
    job.progress(40, "Halfway.", force=True)
    RELEASE.wait(10)
    return "/tmp/result"


def _failing(job, payload):
    raise JobFailed(f"nothing to do for {payload['what']}")


def _crashing(job, payload):
    raise KeyError("secret witness name")


@pytest.fixture(autouse=True)
def _kinds(app):
    """This module's job kinds, registered on the app under test as create_app registers ours."""
    register_job_kind(app, "test_sleepy", _sleepy)
    register_job_kind(app, "test_failing", _failing)
    register_job_kind(app, "test_crashing", _crashing)


def wait_state(job_id: str, states: set[str], timeout: float = 10) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job.state in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job stayed {job.state}")


def test_a_job_runs_after_commit_reports_progress_and_finishes(app_ctx):
    RELEASE.clear()
    job = enqueue("test_sleepy", {"n": 1})
    db.session.commit()
    running = wait_state(job.id, {"running"})
    deadline = time.monotonic() + 5
    while running.progress != 40 and time.monotonic() < deadline:
        running = wait_state(job.id, {"running"})
    assert (running.progress, running.message) == (40, "Halfway.")
    RELEASE.set()
    done = wait_state(job.id, {"done"})
    assert (done.progress, done.result_path, done.finished) == (100, "/tmp/result", True)


def test_a_rolled_back_request_starts_nothing(app_ctx):
    job = enqueue("test_failing", {"what": "x"})
    job_id = job.id
    db.session.rollback()
    db.session.commit()
    time.sleep(0.3)
    assert db.session.get(Job, job_id) is None


def test_failures_are_recorded_with_a_safe_message(app_ctx):
    failing = enqueue("test_failing", {"what": "the export"})
    crashing = enqueue("test_crashing", {})
    db.session.commit()
    assert wait_state(failing.id, {"failed"}).message == "nothing to do for the export"
    message = wait_state(crashing.id, {"failed"}).message
    assert "secret" not in message and "failed" in message
