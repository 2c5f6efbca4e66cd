"""Ending resumable uploads that will not finish: a refused one, or one past its expiry.

Each goes with its partial blob; the worker's garbage collection (app/vault/gc.py) expires them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.timeutil import utcnow
from app.vault.models import UploadSession
from app.vault.storage import blob_store


def discard_session(session_id: str) -> None:
    """Remove a session and its partial blob (refused content, expiry)."""
    db.session.rollback()
    session = db.session.get(UploadSession, session_id)
    if session is None:
        return
    spool_key = session.spool_key if session.evidence_id is None else None
    db.session.delete(session)
    db.session.commit()
    if spool_key:
        blob_store().delete_incomplete(spool_key)


def expire_sessions(now: datetime | None = None) -> list[str]:
    """Remove sessions past their expiry and their partial blobs; returns their ids."""
    now = now or utcnow()
    expired = list(
        db.session.scalars(select(UploadSession.id).where(UploadSession.expires_at < now))
    )
    for session_id in expired:
        discard_session(session_id)
    return expired
