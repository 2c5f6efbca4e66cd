"""The RQ backend against the real Redis on 127.0.0.1:6379 and real RQ workers.

Each test uses a queue of its own, so runs (and the two database passes) never share jobs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.custody.jobs import queue_fixity_sweep
from app.custody.models import LedgerEntry
from app.extensions import db
from app.jobs.backends import QUEUE_UNAVAILABLE, job_queue
from app.jobs.handle import JobFailed
from app.jobs.models import Job
from app.jobs.queue import enqueue, retry_job
from app.jobs.registry import JobRegistry, job_registry, register_job_kind, register_maintenance
from app.jobs.worker import make_worker
from app.vault.models import EvidenceItem
from tests.custody.test_fixity import store_item

ROOT = Path(__file__).resolve().parents[2]
SECRET_PAYLOAD = "PAYLOAD-MUST-NOT-REACH-REDIS"


def _steps(job, payload):
    job.progress(30, "A third done.", force=True)
    if payload.get("fail"):
        raise JobFailed("The recipient key is not an age public key.")
    return f"/results/{payload['n']}"


def _dies_once(job, payload):
    marker = Path(payload["marker"])
    if not marker.exists():
        marker.write_text("died")
        os.kill(os.getpid(), signal.SIGKILL)  # the work horse dies mid-job, as under kill -9
    return "/results/second-attempt"


@pytest.fixture
def redis_server(redis_url) -> Redis:
    return Redis.from_url(redis_url)


@pytest.fixture
def rq_backend(app, monkeypatch, redis_server, redis_url):
    """This test's app queues jobs on a queue of its own in the real Redis."""
    register_job_kind(app, "test_rq_steps", _steps)
    register_job_kind(app, "test_rq_dies_once", _dies_once)
    queue = f"custos-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "CUSTOS_JOB_QUEUE", queue)
    app.extensions.pop("custos.redis", None)
    yield queue
    Queue(queue, connection=redis_server).delete(delete_jobs=True)
    app.extensions.pop("custos.redis", None)


def fresh(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def drain(app) -> None:
    """Run every job on this test's queue in this process, then return (RQ's SimpleWorker)."""
    make_worker(app, in_process=True).work(burst=True)


def test_a_committed_job_waits_in_redis_until_a_worker_runs_it(app, app_ctx, rq_backend):
    job = enqueue("test_rq_steps", {"n": 7, "note": SECRET_PAYLOAD})
    db.session.commit()
    assert fresh(job.id).state == "queued"
    queue = job_queue(app)
    assert queue.count == 1
    drain(app)
    done = fresh(job.id)
    assert (done.state, done.progress, done.result_path) == ("done", 100, "/results/7")
    assert queue.count == 0


def test_redis_holds_the_job_id_and_nothing_of_the_payload(app, app_ctx, rq_backend, redis_server):
    job = enqueue("test_rq_steps", {"n": 1, "note": SECRET_PAYLOAD})
    db.session.commit()
    (queued,) = job_queue(app).get_jobs()
    assert queued.args == (job.id,)
    stored = b"".join(
        value if isinstance(value, bytes) else b""
        for value in redis_server.hgetall(queued.key).values()
    )
    assert SECRET_PAYLOAD.encode() not in stored


def test_a_rolled_back_request_queues_nothing(app, app_ctx, rq_backend):
    enqueue("test_rq_steps", {"n": 2})
    db.session.rollback()
    assert job_queue(app).count == 0


def test_a_failed_job_records_its_reason_and_a_retry_runs_it_on_a_worker(app, app_ctx, rq_backend):
    job = enqueue("test_rq_steps", {"n": 3, "fail": True})
    db.session.commit()
    drain(app)
    failed = fresh(job.id)
    assert (failed.state, failed.message) == (
        "failed",
        "The recipient key is not an age public key.",
    )
    db.session.execute(
        Job.__table__.update().where(Job.__table__.c.id == job.id).values(payload={"n": 3})
    )
    db.session.commit()
    assert retry_job(job.id) is True
    assert fresh(job.id).state == "queued"
    drain(app)
    assert fresh(job.id).state == "done"


def test_an_unreachable_redis_fails_the_job_with_a_clear_reason(
    app, app_ctx, rq_backend, monkeypatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    app.extensions.pop("custos.redis", None)
    job = enqueue("test_rq_steps", {"n": 4})
    db.session.commit()
    failed = fresh(job.id)
    assert (failed.state, failed.message) == ("failed", QUEUE_UNAVAILABLE)
    app.extensions.pop("custos.redis", None)


def test_a_work_horse_killed_mid_job_is_retried_and_finishes(app, app_ctx, rq_backend, tmp_path):
    job = enqueue("test_rq_dies_once", {"marker": str(tmp_path / "died")})
    db.session.commit()
    make_worker(app).work(burst=True)  # forks a horse per job; the first one is killed
    done = fresh(job.id)
    assert (tmp_path / "died").exists()
    assert (done.state, done.result_path) == ("done", "/results/second-attempt")


def test_a_job_whose_horse_dies_with_no_retry_left_is_marked_failed(
    app, app_ctx, rq_backend, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "CUSTOS_JOB_RETRIES", 0)
    job = enqueue("test_rq_dies_once", {"marker": str(tmp_path / "died")})
    db.session.commit()
    make_worker(app).work(burst=True)
    failed = fresh(job.id)
    assert failed.state == "failed" and "worker running this job stopped" in failed.message


def test_a_worker_calls_the_registered_maintenance_hooks_when_it_starts(
    app, app_ctx, rq_backend, monkeypatch
):
    calls: list[str] = []
    registry = JobRegistry(handlers=dict(job_registry(app).handlers))
    monkeypatch.setitem(app.extensions, "custos.jobs", registry)
    register_maintenance(app, lambda: calls.append("cleaned"))
    drain(app)
    assert calls == ["cleaned"]


def test_uploaded_media_is_processed_by_the_worker_not_the_request(app, app_ctx, rq_backend):
    from app.vault.upload.stream import begin_intake
    from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
    from tests.helpers.media import jpeg_with_exif

    investigation = InvestigationFactory()
    field = UserFactory(role="field")
    MembershipFactory(user=field, investigation=investigation)
    writer = begin_intake(investigation, field, "street.jpg", None, None)
    writer.write(jpeg_with_exif())
    item = writer.finish()
    db.session.expire_all()
    assert db.session.get(EvidenceItem, item.id).derivatives == []
    drain(app)
    db.session.expire_all()
    processed = db.session.get(EvidenceItem, item.id)
    assert processed.extracted_metadata is not None
    assert "thumbnail" in {d.kind for d in processed.derivatives}


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "flask", "--app", "wsgi", "worker", "--burst"],
        ["-m", "app.worker_main", "--burst"],
    ],
    ids=["flask-worker", "worker_main"],
)
def test_flask_worker_runs_a_queued_fixity_sweep(app, app_ctx, rq_backend, investigation, command):
    """`flask jobs fixity` on a web node, `flask --app wsgi worker --burst` (or the lean entry
    point, app/worker_main.py) in another process."""
    item = store_item(investigation, b"photo bytes " * 5000)
    job = queue_fixity_sweep()
    env = dict(
        os.environ,
        CUSTOS_ENV="testing",
        CUSTOS_INSTANCE_PATH=app.instance_path,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CUSTOS_KEYS_DIR=str(app.config.get("CUSTOS_KEYS_DIR") or Path(app.instance_path) / "keys"),
        CUSTOS_BLOB_DIR=str(app.config["BLOB_DIR"]),
        CUSTOS_MASTER_KEY_FILE=str(app.config["CUSTOS_MASTER_KEY_FILE"]),
        CUSTOS_JOB_BACKEND="rq",
        REDIS_URL=app.config["REDIS_URL"],
        CUSTOS_JOB_QUEUE=rq_backend,
    )
    env.pop("CUSTOS_MASTER_KEY", None)
    worker = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    done = fresh(job.id)
    assert done.state == "done", (done.message, worker.stderr[-2000:])
    entries = db.session.scalars(
        select(LedgerEntry.action).where(LedgerEntry.object_id == item.id)
    ).all()
    assert "fixity_verified" in entries
