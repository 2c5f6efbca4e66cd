"""Object Lock holds the object store has not taken yet: noted, retried, shown to reviewers.

Object Lock is set (or cleared) after the database commits, so the object store can refuse or
be unreachable then. The hold stands in Custos either way (its own delete guard refuses); the
blob is noted in `object_lock_pending`, the worker's maintenance round tries again as the holds
stand then (`retry_object_locks`), and the holds page lists what still waits.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.retention.coverage import evidence_of_blob, holds_on_blob
from app.retention.models import ObjectLockPending
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.storage import blob_store

log = logging.getLogger(__name__)


def mirroring() -> bool:
    return bool(current_app.config.get("CUSTOS_S3_OBJECT_LOCK")) and hasattr(
        blob_store(), "set_legal_hold"
    )


def set_lock(
    store, key: str, on: bool, investigation_id: str | None, was_pending: bool = True
) -> int:
    """Set or clear the lock on one blob: 1 when the store agreed, 0 when it is noted pending.

    The notes are written in a transaction of their own: this runs after the caller's commit,
    sometimes from inside it (`after_commit`), where the session cannot commit again.
    """
    try:
        store.set_legal_hold(key, on)
    except BlobStoreError as exc:
        log.warning("object lock: could not %s the legal hold on blob %s", _verb(on), key)
        note_pending(key, on, investigation_id, f"{type(exc).__name__}: {exc}"[:200])
        return 0
    if was_pending:
        with db.engine.begin() as connection:
            connection.execute(delete(ObjectLockPending).where(ObjectLockPending.blob_key == key))
    return 1


def _verb(on: bool) -> str:
    return "set" if on else "clear"


def note_pending(key: str, on: bool, investigation_id: str | None, error: str) -> None:
    now = utcnow()
    with db.engine.begin() as connection:
        known = connection.execute(
            update(ObjectLockPending)
            .where(ObjectLockPending.blob_key == key)
            .values(
                want_hold=on,
                attempts=ObjectLockPending.attempts + 1,
                last_failed_at=now,
                last_error=error,
            )
        ).rowcount
        if not known:
            connection.execute(
                ObjectLockPending.__table__.insert().values(
                    blob_key=key,
                    investigation_id=investigation_id,
                    want_hold=on,
                    attempts=1,
                    first_failed_at=now,
                    last_failed_at=now,
                    last_error=error,
                )
            )


def retry_object_locks(limit: int = 500) -> int:
    """The maintenance round's part: try each waiting blob again, as the holds stand now.

    A blob no hold covers any more is cleared rather than locked, and so is one no item names
    any more (destroyed since: `blobs gc` can then remove it); one already gone is forgotten.
    Returns how many blobs the object store has now agreed on.
    """
    if not mirroring():
        return 0
    store = blob_store()
    waiting = db.session.execute(
        select(ObjectLockPending.blob_key, ObjectLockPending.investigation_id)
        .order_by(ObjectLockPending.first_failed_at)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read: _set writes in transactions of its own
    done = 0
    for key, investigation_id in waiting:
        stored = evidence_of_blob(key) is not None
        want = stored and bool(holds_on_blob(key))
        db.session.rollback()
        if not stored and not store.exists(key):  # destroyed and gone: nothing left to lock
            with db.engine.begin() as connection:
                connection.execute(
                    delete(ObjectLockPending).where(ObjectLockPending.blob_key == key)
                )
            continue
        done += set_lock(store, key, want, investigation_id)
    return done


def pending_locks(investigation_id: str) -> list[ObjectLockPending]:
    """What the holds page shows: blobs of the investigation still waiting for the store."""
    return list(
        db.session.scalars(
            select(ObjectLockPending)
            .where(ObjectLockPending.investigation_id == investigation_id)
            .order_by(ObjectLockPending.first_failed_at)
        )
    )
