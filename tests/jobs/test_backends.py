"""The job backends without Redis: inline runs at commit, retry puts a failed job back."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.jobs.handle import JobFailed
from app.jobs.models import Job
from app.jobs.queue import enqueue, retry_job
from app.jobs.registry import register_job_kind
from config import ConfigurationError, ProductionConfig
from config import TestingConfig as testing_config  # a Test* name would be collected

ATTEMPTS: dict[str, int] = {}


def _flaky(job, payload):
    """Fails its first attempt with a reason, succeeds on the next (a retried job)."""
    ATTEMPTS[payload["tag"]] = ATTEMPTS.get(payload["tag"], 0) + 1
    if ATTEMPTS[payload["tag"]] == 1:
        raise JobFailed("The store was full; free some space and try again.")
    job.progress(50, "Half way.", force=True)
    return "/exports/result.tar.age"


@pytest.fixture
def inline(app, monkeypatch):
    register_job_kind(app, "test_runners_flaky", _flaky)
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "inline")


def fresh(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_inline_jobs_run_when_the_request_commits_and_not_before(app_ctx, inline):
    job = enqueue("test_runners_flaky", {"tag": "inline"})
    ATTEMPTS["inline"] = 1  # skip the failing first attempt
    assert job.state == "queued"
    db.session.commit()
    done = fresh(job.id)
    assert (done.state, done.progress, done.result_path) == ("done", 100, "/exports/result.tar.age")


def test_a_failed_job_shows_its_reason_and_runs_again_on_retry(app_ctx, inline):
    job = enqueue("test_runners_flaky", {"tag": "retry"})
    db.session.commit()
    failed = fresh(job.id)
    assert failed.state == "failed"
    assert failed.message == "The store was full; free some space and try again."
    assert retry_job(job.id) is True
    again = fresh(job.id)
    assert (again.state, again.message, again.progress) == ("done", "Done.", 100)
    assert ATTEMPTS["retry"] == 2


def test_only_failed_jobs_are_retried(app_ctx, inline):
    ATTEMPTS["done"] = 1
    job = enqueue("test_runners_flaky", {"tag": "done"})
    db.session.commit()
    assert fresh(job.id).state == "done"
    assert retry_job(job.id) is False
    assert ATTEMPTS["done"] == 2  # not run a third time


def test_jobs_retry_command_reports_unknown_and_unfailed_jobs(app, app_ctx, inline):
    ATTEMPTS["cli"] = 0
    job = enqueue("test_runners_flaky", {"tag": "cli"})
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["jobs", "retry", "no-such-job"]).exit_code == 2
    listed = runner.invoke(args=["jobs", "list", "--state", "failed"])
    assert job.id in listed.output and "store was full" in listed.output
    assert runner.invoke(args=["jobs", "retry", job.id]).exit_code == 0
    assert fresh(job.id).state == "done"
    assert runner.invoke(args=["jobs", "retry", job.id]).exit_code == 1


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"CUSTOS_JOB_BACKEND": "celery"}, "must be inline, thread or rq"),
        ({"CUSTOS_JOB_BACKEND": "rq"}, "needs REDIS_URL"),
        ({"CUSTOS_JOB_RETRIES": "-1"}, "CUSTOS_JOB_RETRIES"),
    ],
)
def test_job_settings_are_checked_at_start(monkeypatch, env, complaint):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=complaint):
        testing_config().validate()


@pytest.mark.nodb
def test_production_refuses_a_redis_without_a_password(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("CUSTOS_JOB_BACKEND", "rq")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigurationError, match="no password"):
        ProductionConfig().validate()
    monkeypatch.setenv("REDIS_URL", "redis://:s3cret-enough@127.0.0.1:6379/0")
    ProductionConfig().validate()


@pytest.mark.nodb
def test_the_embedded_default_needs_no_redis(monkeypatch):
    monkeypatch.delenv("CUSTOS_JOB_BACKEND", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config = testing_config()
    config.validate()
    assert (config.CUSTOS_JOB_BACKEND, config.REDIS_URL) == ("thread", None)
