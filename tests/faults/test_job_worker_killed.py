"""kill -9 of a `flask worker` (and its work horse) in the middle of a case-file export.

The worker runs RQ against the real Redis on 127.0.0.1:6379, on a queue of this test's own.
Killing the worker and its horse is what a lost machine does (RQ starts each horse in a
process group of its own: killing the worker alone lets the horse finish the job). The row
then stops beating; the export's progress page reports it failed with the reason; "try
again" runs it on a new worker; and RQ's own late redelivery of the abandoned job (its
cleanup of the started-jobs registry, forced here instead of waiting its 90 seconds) runs
nothing twice: one `exported` entry per item, and the ledger verifies.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from app.casefiles.services.export_bagit import ExportRequest
from app.casefiles.services.exports import download_ready, job_progress, start_export
from app.custody.models import LedgerEntry
from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import retry_job
from app.jobs.stale import WORKER_STOPPED
from tests.faults.conftest import (
    RqWorker,
    custody_verifies,
    export_leftovers,
    server_env,
    wait_until,
)

pytestmark = pytest.mark.faults


@pytest.fixture
def rq_queue(app, monkeypatch, redis_url):
    """This test's app queues jobs on a queue of its own in the test session's Redis."""
    redis = Redis.from_url(redis_url)
    name = f"custos-faults-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "CUSTOS_JOB_QUEUE", name)
    app.extensions.pop("custos.redis", None)
    yield Queue(name, connection=redis)
    Queue(name, connection=redis).delete(delete_jobs=True)
    app.extensions.pop("custos.redis", None)


def exported_per_object() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(LedgerEntry.object_id, func.count())
        .where(LedgerEntry.action == "exported")
        .group_by(LedgerEntry.object_id)
    )
    return dict(rows.all())


def test_an_export_whose_worker_dies_is_reported_retried_and_recorded_once(
    app, database_url, long_case, rq_queue, tmp_path, monkeypatch
):
    case = long_case
    monkeypatch.setitem(app.config, "CUSTOS_JOB_STALE_SECONDS", 3)  # as the worker's env says
    export = start_export(
        case.investigation,
        case.casefile,
        case.author,
        ExportRequest(
            files="originals", for_whom="Fault suite, chamber III", unencrypted_reason="faults"
        ),
    )
    db.session.commit()  # the job is pushed to Redis
    job_id = export.job_id
    env = server_env(
        app,
        database_url,
        CUSTOS_JOB_BACKEND="rq",
        REDIS_URL=app.config["REDIS_URL"],
        CUSTOS_JOB_QUEUE=rq_queue.name,
    )
    export_dir = Path(app.config["CUSTOS_EXPORT_DIR"])
    log = tmp_path / "worker.log"
    worker = RqWorker(env, log)
    try:
        wait_until(lambda: export_leftovers(export_dir), 60, "the worker to start the export")
        worker.kill_with_its_horse()
    finally:
        worker.stop()

    db.session.expire_all()
    assert db.session.get(Job, job_id).state == "running"  # nobody has noticed yet
    progress = wait_until(
        lambda: (p := job_progress(export))["finished"] and p, 15, "the dead job to be reported"
    )
    assert (progress["state"], progress["message"]) == ("failed", WORKER_STOPPED)
    db.session.refresh(export)
    assert not download_ready(export)
    assert exported_per_object() == {}

    # RQ's maintenance puts the abandoned job back on the queue (retries are configured);
    # the user also presses "try again". Both deliveries reach the next worker.
    StartedJobRegistry(rq_queue.name, connection=rq_queue.connection).cleanup(
        timestamp=time.time() + 3600
    )
    assert rq_queue.count == 1, "RQ did not redeliver the abandoned job"
    assert retry_job(job_id) is True
    assert rq_queue.count == 2

    second = RqWorker(env, log, burst=True)
    try:
        assert second.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        second.stop()

    db.session.expire_all()
    done = db.session.get(Job, job_id)
    assert done.state == "done", (done.message, log.read_text()[-3000:])
    db.session.refresh(export)
    assert download_ready(export)
    per_object = exported_per_object()
    assert per_object and set(per_object.values()) == {1}, per_object
    assert export_leftovers(export_dir) == []
    custody_verifies(app)
