"""Blob garbage collection: unreferenced committed blobs, abandoned partial writes, dead uploads.

A blob is referenced when any column named `blob_key`, `*_blob_key` or `spool_key` in any
table holds its key (found from the metadata, so a new table that stores blob keys under
such a name is protected without touching this module). Anything else older than the
threshold is an orphan: a blob whose row never committed (crash between the two steps of
intake), a temp file of a killed upload, an unfinished S3 multipart upload. A blob a request
holds before its row is written (reservations.py) counts as referenced, partial or committed.

Order matters for safety: the store is listed BEFORE the references are read. A blob that
is committed and then gets its row between the two steps is seen as referenced; one whose
row is committed after the reference read was not listed (or is younger than the threshold).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Column, select

from app.extensions import db
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.delete_guard import DeletionRefused
from app.vault.reservations import end_lapsed_reservations, reserved_keys
from app.vault.storage import blob_store
from app.vault.tus.discard import expire_sessions

DEFAULT_OLDER_THAN = timedelta(hours=1)
Report = Callable[[str, str, int], None]  # (key, what was removed, bytes)


@dataclass
class GcReport:
    removed: list[tuple[str, str, int]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (key, the hold that keeps it)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, the store's error)
    expired_sessions: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, _, size in self.removed)


def blob_key_columns() -> list[Column]:
    columns = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            name = column.name
            if name in ("blob_key", "spool_key") or name.endswith("_blob_key"):
                columns.append(column)
    return columns


def referenced_keys(columns: list[Column]) -> set[str]:
    keys: set[str] = set()
    for column in columns:
        keys.update(db.session.scalars(select(column).where(column.is_not(None)).distinct()))
    return keys


def collect_garbage(
    older_than: timedelta = DEFAULT_OLDER_THAN,
    report: Report | None = None,
    now: datetime | None = None,
) -> GcReport:
    """Remove orphans older than `older_than`; never a blob some row references."""
    now = now or utcnow()
    result = GcReport(expired_sessions=expire_sessions(now))
    end_lapsed_reservations(now)
    cutoff = now - older_than
    store = blob_store()
    committed = [info for info in store.list() if info.modified <= cutoff]
    incomplete = [info for info in store.list_incomplete() if info.modified <= cutoff]
    columns = blob_key_columns()  # blob_reservations.blob_key among them
    every_reference = referenced_keys(columns)
    live_spools = referenced_keys([c for c in columns if c.name == "spool_key"]) | reserved_keys()
    for info in committed:
        if info.key not in every_reference:
            try:
                store.delete(info.key)
            except DeletionRefused as refusal:  # a held blob stays, whatever gc believes
                result.kept.append((info.key, str(refusal)))
                continue
            except BlobStoreError as refusal:  # an Object Lock legal hold, say: the rest goes on
                result.refused.append((info.key, str(refusal)))
                continue
            _note(result, report, info.key, "unreferenced blob", info.size)
    for info in incomplete:
        if info.key not in live_spools:
            store.delete_incomplete(info.key)
            _note(result, report, info.key, "incomplete write", info.size)
    return result


def _note(result: GcReport, report: Report | None, key: str, what: str, size: int) -> None:
    result.removed.append((key, what, size))
    if report is not None:
        report(key, what, size)
