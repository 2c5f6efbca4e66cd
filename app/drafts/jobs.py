"""The drafts' background work: each worker maintenance round deletes expired drafts."""

from __future__ import annotations

from flask import Flask

from app.drafts.services import purge_expired_drafts
from app.jobs.registry import register_maintenance


def register_draft_jobs(app: Flask) -> None:
    register_maintenance(app, purge_expired_drafts)
