"""Blobs a request holds before any row names them: kept from `blobs gc` until then.

The files of an encrypted submission (kept sealed by an intake node, or decrypted into their
writers by the reading node) are recorded only all together, when the last has come, and a
phone on a slow connection can take hours to send them. Each file's blob is reserved as it
begins: `blobs gc` treats a reserved blob as referenced, whether it is committed or still
being written, until the request records the files (the reservation goes in the same
transaction) or discards them. A reservation whose process died ends at `reserved_until`, and
gc then collects the blob like any orphan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.timeutil import utcnow
from app.vault.models import BlobReservation

# Longer than any request may take to bring its files (1 GiB at a few hundred bytes a second).
RESERVED_FOR = timedelta(hours=48)


def reserve_blob(key: str) -> None:
    """Reserve `key` and commit, so a gc in another process sees it at once.

    The commit is the session's: call it with nothing of the caller's own pending.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("reserve_blob would commit the caller's pending changes with it")
    session.add(BlobReservation(blob_key=key, reserved_until=utcnow() + RESERVED_FOR))
    session.commit()


def release_blobs(keys: Iterable[str]) -> None:
    """End the reservations, in the caller's transaction (the one recording the rows)."""
    keys = list(keys)
    if keys:
        db.session.execute(delete(BlobReservation).where(BlobReservation.blob_key.in_(keys)))


def reserved_keys() -> set[str]:
    return set(db.session.scalars(select(BlobReservation.blob_key)))


def end_lapsed_reservations(now: datetime) -> int:
    """Delete the reservations of requests that died; how many."""
    lapsed = delete(BlobReservation).where(BlobReservation.reserved_until < now)
    count = db.session.execute(lapsed).rowcount
    db.session.commit()
    return count
