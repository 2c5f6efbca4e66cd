"""/healthz (the process answers) and /readyz (its dependencies answer), as JSON."""

from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.custody import witness
from app.custody.alarms import any_open_alarm
from app.extensions import csrf, db
from app.health import bp
from app.vault.blobstore.base import BlobStoreError
from app.vault.storage import blob_store

log = logging.getLogger(__name__)


@bp.route("/healthz")
@csrf.exempt
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@csrf.exempt
def readyz():
    """200 when the database answers and the blob store takes writes; 503 naming what failed.

    "degraded" (still 200) while a custody ledger has an unacknowledged alarm or the custody
    witness directory cannot take writes.

    The body names the dependency only: the probe is public (load balancers call it without
    signing in), so error details, hosts and paths stay in the server log.
    """
    failed = _unavailable_dependency()
    if failed is not None:
        return jsonify(status="unavailable", failed=failed), 503
    checks = {"database": "ok", "blob_store": "ok", **_custody_checks()}
    if checks["custody"] != "ok" or "custody_witness" in checks:
        return jsonify(status="degraded", checks=checks)
    return jsonify(status="ready", checks=checks)


def _unavailable_dependency() -> str | None:
    """ "database" or "blob_store" when that one does not answer; None when both do."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("readiness: database check failed (%s)", type(exc).__name__)
        return "database"
    try:
        blob_store().check_writable()
    except BlobStoreError as exc:
        log.warning("readiness: blob store check failed: %s", exc)
        return "blob_store"
    return None


def _custody_checks() -> dict[str, str]:
    checks = {"custody": "ok"}
    if any_open_alarm(db.session):
        # Still serving (intake must go on), but someone has to look: which ledger is on
        # the investigation's pages and in the audit log, not on this public probe.
        checks["custody"] = "ledger_broken"
    witness_problem = witness.readiness()
    if witness_problem is not None:
        checks["custody_witness"] = witness_problem
    return checks
