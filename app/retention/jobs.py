"""Retention's background work: each worker maintenance round runs what `retention run` does,
and tries again the Object Lock holds the object store refused or could not be reached for."""

from __future__ import annotations

from flask import Flask

from app.extensions import db
from app.jobs.registry import register_maintenance
from app.retention.due import due_items
from app.retention.lock_pending import retry_object_locks


def run_retention() -> int:
    """List what has come due (recording blocked dispositions); returns how many are due."""
    due = due_items()
    db.session.commit()
    return len(due)


def register_retention_jobs(app: Flask) -> None:
    register_maintenance(app, run_retention)
    register_maintenance(app, retry_object_locks)
