"""Retention's background work: each worker maintenance round runs what `retention run` does."""

from __future__ import annotations

from flask import Flask

from app.extensions import db
from app.jobs.registry import register_maintenance
from app.retention.due import due_items


def run_retention() -> int:
    """List what has come due (recording blocked dispositions); returns how many are due."""
    due = due_items()
    db.session.commit()
    return len(due)


def register_retention_jobs(app: Flask) -> None:
    register_maintenance(app, run_retention)
