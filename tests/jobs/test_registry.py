"""Job kinds exist because create_app had their packages register them, not by imports."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from app.casefiles.jobs import register_casefile_jobs
from app.casefiles.services.export_lifecycle import expire_exports
from app.casefiles.services.exports import remove_abandoned_outputs, run_export_job
from app.casefiles.services.redaction_jobs import JOB_KIND as MEDIA_REDACTION
from app.casefiles.services.redaction_jobs import run_redaction_job
from app.casefiles.services.removals import purge_expired_removals
from app.casefiles.services.report import preload_pdf_renderer
from app.casefiles.services.review_mail import JOB_KIND as REVIEWER_MAIL
from app.casefiles.services.review_mail import send_reviewer_mail
from app.custody.jobs import FIXITY_SWEEP, fixity_sweep_job
from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.registry import JobRegistry, job_registry, register_job_kind, register_maintenance
from app.jobs.stale import WORKER_STOPPED
from app.jobs.worker import run_maintenance
from app.retention.lock_pending import retry_object_locks
from app.timeutil import utcnow
from app.vault.jobs import EVIDENCE_PROCESSING, process_evidence_job


def test_each_package_registers_the_work_it_owns(app):
    registry = job_registry(app)
    assert registry.handlers == {
        EVIDENCE_PROCESSING: process_evidence_job,
        FIXITY_SWEEP: fixity_sweep_job,
        "casefile_export": run_export_job,
        REVIEWER_MAIL: send_reviewer_mail,
        MEDIA_REDACTION: run_redaction_job,
    } | {kind: fn for kind, fn in registry.handlers.items() if kind.startswith("test_")}
    assert remove_abandoned_outputs in registry.maintenance
    assert retry_object_locks in registry.maintenance


@pytest.mark.nodb
def test_the_worker_preloads_the_report_renderer_its_export_horses_inherit():
    """`flask worker` runs the preloads before forking: an export's horse finds WeasyPrint,
    Pango and the fonts loaded (docs/performance.md, "Case-file export")."""
    code = (
        "import sys; from flask import Flask; from app.casefiles.jobs import "
        "register_casefile_jobs; from app.jobs.worker import run_preloads; app = Flask('w'); "
        "register_casefile_jobs(app); assert 'weasyprint' not in sys.modules; "
        "run_preloads(app); assert 'weasyprint' in sys.modules; print('loaded')"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0 and "loaded" in run.stdout, run.stderr[-2000:]


@pytest.mark.nodb
def test_importing_a_package_registers_nothing():
    """An app that did not register case files cannot queue an export, whatever was imported."""
    bare = Flask(__name__)
    with bare.app_context(), pytest.raises(ValueError, match="casefile_export"):
        enqueue("casefile_export", {"export_id": "x"})
    register_casefile_jobs(bare)
    register_casefile_jobs(bare)  # create_app and a worker may both ask: registered once
    assert job_registry(bare).handlers == {
        "casefile_export": run_export_job,
        REVIEWER_MAIL: send_reviewer_mail,
        MEDIA_REDACTION: run_redaction_job,
    }
    assert job_registry(bare).maintenance == [
        remove_abandoned_outputs,
        expire_exports,
        purge_expired_removals,
    ]
    assert job_registry(bare).preloads == [preload_pdf_renderer]


@pytest.mark.nodb
def test_a_kind_keeps_the_handler_it_was_registered_with():
    bare = Flask(__name__)
    register_job_kind(bare, FIXITY_SWEEP, fixity_sweep_job)
    with pytest.raises(ValueError, match="already has a handler"):
        register_job_kind(bare, FIXITY_SWEEP, process_evidence_job)
    assert job_registry(bare).handlers[FIXITY_SWEEP] is fixity_sweep_job


def test_an_unregistered_kind_is_refused_before_anything_is_stored(app_ctx):
    with pytest.raises(ValueError, match="no handler registered"):
        enqueue("no_such_kind", {})
    db.session.commit()
    assert db.session.query(Job).count() == 0


def test_the_maintenance_round_fails_silent_jobs_then_calls_every_hook(app, app_ctx, monkeypatch):
    calls: list[str] = []
    registry = JobRegistry(handlers=dict(job_registry(app).handlers))
    monkeypatch.setitem(app.extensions, "custos.jobs", registry)
    register_maintenance(app, lambda: calls.append("first"))
    register_maintenance(app, lambda: calls.append("second"))
    silent = Job(
        kind=FIXITY_SWEEP,
        state="running",
        payload={},
        started_at=utcnow() - timedelta(hours=1),
        heartbeat_at=utcnow() - timedelta(hours=1),
        runner="rq:gone:1:dead",
    )
    db.session.add(silent)
    db.session.commit()
    run_maintenance(app)
    db.session.expire_all()
    assert (db.session.get(Job, silent.id).message, calls) == (WORKER_STOPPED, ["first", "second"])
