"""Who may write to a tus upload now: a PATCH claims the session's lease, renews it, releases it.

A lease is a token and an expiry on the upload's row, taken with one guarded UPDATE, so two
requests (a client's retry racing a stalled PATCH, two gunicorn workers) never append at once.
One whose process died blocks the upload only until its lease expires.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from app.extensions import db
from app.timeutil import utcnow
from app.vault.models import UploadSession
from app.vault.upload.refusals import UploadProblem


def lease_duration() -> timedelta:
    """How long a PATCH holds the upload: one whose process died blocks the resume this long
    (the client's retry is answered 423 until then). Renewed at a third of it, so a write
    only ever follows a renewal younger than that."""
    return timedelta(seconds=int(current_app.config.get("CUSTOS_TUS_LEASE_SECONDS", 60)))


def lease_renew_seconds() -> float:
    return lease_duration().total_seconds() / 3


def claim(session: UploadSession, offset: int) -> tuple[str, bool]:
    """Take the session's lease if its offset is still `offset` and nobody holds it.

    Returns the token, and whether the previous writer left without releasing its lease
    (its process died, or it failed part-way: see abandon): that writer may have sealed
    chunks past the checkpoint, so the caller must not go on with the same payload key
    (app/vault/tus/rekey.py).
    """
    token = secrets.token_hex(16)
    now = utcnow()
    # Two guarded UPDATEs rather than one, so which case matched is known without a read
    # that could race: first a free lease (clean), then an expired one (dirty).
    for dirty, held in (
        (False, UploadSession.lease_token.is_(None)),
        (True, UploadSession.lease_expires_at < now),
    ):
        result = db.session.execute(
            update(UploadSession)
            .where(UploadSession.id == session.id, UploadSession.offset == offset, held)
            .values(lease_token=token, lease_expires_at=now + lease_duration())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            db.session.refresh(session)
            return token, dirty
    db.session.refresh(session)
    if session.offset != offset:
        raise UploadProblem(
            409, "offset_mismatch", "Upload-Offset does not match the upload's current offset."
        )
    raise UploadProblem(
        423, "busy", "Another request is still writing to this upload; retry in a minute."
    )


def renew(session_id: str, token: str) -> None:
    """Extend our lease, inside the current transaction; fails if another request took it."""
    result = db.session.execute(
        update(UploadSession)
        .where(UploadSession.id == session_id, UploadSession.lease_token == token)
        .values(lease_expires_at=utcnow() + lease_duration())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise UploadProblem(
            409, "lease_lost", "This request took too long and another one took over the upload."
        )


def release(session_id: str, token: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(UploadSession)
        .where(UploadSession.id == session_id, UploadSession.lease_token == token)
        .values(lease_token=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def abandon(session_id: str, token: str) -> None:
    """End our lease after a failure part-way through a PATCH: free at once for the client's
    retry, but the token stays, so the next claim knows to re-key (see claim)."""
    db.session.rollback()
    db.session.execute(
        update(UploadSession)
        .where(UploadSession.id == session_id, UploadSession.lease_token == token)
        .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
