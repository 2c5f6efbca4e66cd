"""kill -9 of the gunicorn worker running a case-file export (the embedded `thread` backend).

The export job runs in a thread of the web worker; killing the worker kills the job with it.
What the lawyer must see: the export's status turns to failed with the reason (its row's
heartbeat stopped), nothing half-written is offered for download, and a retry delivers the
export once, with one `exported` custody entry per item.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.casefiles.models import CaseExport
from app.custody.models import LedgerEntry
from app.extensions import db
from app.jobs.queue import retry_job
from app.jobs.stale import WORKER_STOPPED
from tests.faults.conftest import (
    Gunicorn,
    custody_verifies,
    export_leftovers,
    ledger_actions,
    server_env,
    wait_until,
)

pytestmark = pytest.mark.faults


def exported_per_object() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(LedgerEntry.object_id, func.count())
        .where(LedgerEntry.action == "exported")
        .group_by(LedgerEntry.object_id)
    )
    return dict(rows.all())


def test_an_export_killed_with_its_worker_fails_visibly_and_its_retry_delivers_once(
    app, database_url, long_case, tmp_path, monkeypatch
):
    case = long_case
    server = Gunicorn(server_env(app, database_url), tmp_path / "gunicorn.log")
    try:
        http = server.session(case.author)
        base = f"/investigations/{case.investigation.reference}/cases/{case.casefile.reference}"
        started = http.post(
            f"{server.base}{base}/export",
            data={
                "csrf_token": server.csrf(http, f"{base}/export"),
                "files": "originals",
                "for_whom": "Fault suite, chamber II",
                "unencrypted_reason": "fault suite",
                "access_reason": "verification",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert started.status_code == 302, started.text[-1000:]
        export_id = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        export_dir = Path(app.config["CUSTOS_EXPORT_DIR"])
        wait_until(lambda: export_leftovers(export_dir), 60, "the export to start writing its bag")
        server.kill_worker()

        progress = f"{server.base}{base}/exports/{export_id}/progress"

        def finished():
            body = http.get(progress, timeout=10).json()
            return body if body["finished"] else None

        body = wait_until(finished, 30, "the dead export to be reported", interval=0.3)
        assert (body["state"], body["message"]) == ("failed", WORKER_STOPPED)
        assert "download_url" not in body
        download = http.get(
            f"{server.base}{base}/exports/{export_id}/download", allow_redirects=False, timeout=10
        )
        assert download.status_code == 302, "a half-written export must not be downloadable"
        assert ledger_actions("exported") == 0
        custody_verifies(app)

        # "Try again" (app.jobs.queue.retry_job; `flask jobs retry`), run here to the end.
        monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "inline")
        job_id = db.session.get(CaseExport, export_id).job_id
        assert retry_job(job_id) is True
        body = http.get(progress, timeout=10).json()
        assert body["state"] == "done", body
        delivered = http.get(f"{server.base}{body['download_url']}", timeout=60)
        assert delivered.status_code == 200
        assert len(delivered.content) > 8 * 1024 * 1024  # the tar holds the 8 MiB document
        assert export_leftovers(export_dir) == [], "the retry must clear the dead run's files"
        per_object = exported_per_object()
        assert per_object and set(per_object.values()) == {1}, per_object
        custody_verifies(app)
    finally:
        server.stop()
