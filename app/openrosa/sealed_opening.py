"""On the reading node: each submission an intake node kept sealed, opened as if just received.

The manifest and the `.enc` files are replayed, in the manifest's order, through the same
code that takes an encrypted submission from a phone (app/openrosa/submissions.py): the file
key unwrapped with the form key, each file decrypted as it streams into the vault's intake,
the MD5s checked before anything is recorded, the answers validated, the record made as a
draft of its author with the ledger's `received` and `received_via_openrosa` entries (channel,
instanceID, and when the intake node received it, `kept_sealed_since`). A key that does not
open, a changed file or answers that do not validate: the sealed submission is marked
`refused` with the reason, and nothing of it is stored (its kept files stay, for an admin to
look into). Once opened, the kept files are deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import Headers
from werkzeug.sansio.multipart import Data, Field, File

from app.auth.models import User
from app.crypto.age import AgeError
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.models import Investigation
from app.openrosa.devices import is_field_member
from app.openrosa.models import DeviceCredential
from app.openrosa.sealed_models import OPENED, PENDING, REFUSED, SealedSubmission
from app.openrosa.submission_xml import SubmissionRejected
from app.openrosa.submissions import XML_PART, receive_submission
from app.security.org_keys import ReadsDisabled, intake_only
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.delete_guard import DeletionRefused
from app.vault.storage import blob_store, open_plaintext

log = logging.getLogger(__name__)

STORED_COPY_UNREADABLE = "A kept file no longer opens as it was stored (changed or missing)."
NOT_A_MEMBER = (
    "The person who sent it is no longer an active field member of this investigation; "
    "restore that, then `flask openrosa retry` it."
)
REASON_LENGTH = 300
OPENING_ACTOR = "system:sealed-submission-opening"


@dataclass
class OpeningReport:
    opened: list[str]
    refused: list[tuple[str, str]]  # (sealed submission id, reason)


class _KeptFileUnreadable(Exception):
    pass


def pending_sealed() -> list[SealedSubmission]:
    return list(
        db.session.scalars(
            select(SealedSubmission)
            .where(SealedSubmission.status == PENDING)
            .order_by(SealedSubmission.received_at, SealedSubmission.id)
        )
    )


def open_pending(progress: Callable[[str, str], None] | None = None) -> OpeningReport:
    """Open every pending sealed submission, oldest first. ReadsDisabled on an intake node."""
    if intake_only():
        raise ReadsDisabled()  # it holds no form key; what it kept stays pending
    report = OpeningReport([], [])
    for sealed_id in [row.id for row in pending_sealed()]:
        sealed = db.session.get(SealedSubmission, sealed_id)
        reason = open_sealed(sealed)
        if reason is None:
            report.opened.append(sealed_id)
        else:
            report.refused.append((sealed_id, reason))
        if progress is not None:
            progress(sealed_id, "opened" if reason is None else f"refused: {reason}")
    return report


def open_sealed(sealed: SealedSubmission) -> str | None:
    """Make its record (None), or mark it refused and return why; nothing half-stored."""
    investigation = db.session.get(Investigation, sealed.investigation_id)
    device = db.session.get(DeviceCredential, sealed.device_id)
    user = db.session.get(User, sealed.user_id)
    sealed_id = sealed.id
    # As every phone request checks (app/openrosa/auth.py): the sender is still a field member.
    if not (user.is_active and is_field_member(investigation, user)):
        return _refuse(sealed_id, NOT_A_MEMBER)
    try:
        outcome = receive_submission(
            investigation,
            device,
            user,
            _replayed(sealed),
            kept_since=sealed.received_at.isoformat(timespec="seconds") + "Z",
        )
    except SubmissionRejected as rejected:
        return _refuse(sealed_id, rejected.message)
    except _KeptFileUnreadable:
        return _refuse(sealed_id, STORED_COPY_UNREADABLE)
    sealed = db.session.get(SealedSubmission, sealed_id)
    sealed.status = OPENED
    sealed.processed_at = utcnow()
    sealed.submission_id = outcome.submission.id if outcome.submission else None
    kept = [f.blob_key for f in sealed.files if f.blob_key is not None]
    for sealed_file in sealed.files:
        sealed_file.blob_key = None
    details = {
        "instance_id": sealed.instance_id,
        "submission_id": sealed.submission_id,
        "kept_copies_deleted": len(kept),
    }
    _record(sealed, "sealed_submission_opened", details)
    db.session.commit()
    _delete_kept_copies(kept)
    return None


def _delete_kept_copies(keys: list[str]) -> None:
    """The opened submission's files now live as evidence items: its kept copies go. A copy
    not deleted here is named by no row, so `blobs gc` removes it."""
    for key in keys:
        try:
            blob_store().delete(key)
        except (BlobStoreError, DeletionRefused):
            log.warning("could not delete an opened sealed file; `blobs gc` will remove it")


def retry_refused(sealed_id: str) -> bool:
    """Put a refused one back among the pending (its kept files stay while it is refused);
    False if there is no refused one of that id."""
    sealed = db.session.get(SealedSubmission, sealed_id)
    if sealed is None or sealed.status != REFUSED:
        return False
    sealed.status, sealed.refused_reason, sealed.processed_at = PENDING, None, None
    db.session.commit()
    return True


def _refuse(sealed_id: str, reason: str) -> str:
    db.session.rollback()
    sealed = db.session.get(SealedSubmission, sealed_id)
    sealed.status = REFUSED
    sealed.refused_reason = reason[:REASON_LENGTH]
    sealed.processed_at = utcnow()
    _record(sealed, "sealed_submission_refused", {"instance_id": sealed.instance_id})
    db.session.commit()
    return sealed.refused_reason


def _record(sealed: SealedSubmission, action: str, details: dict[str, Any]) -> None:
    append_custody_event(
        sealed.investigation_id, OPENING_ACTOR, action, "sealed_submission", sealed.id, details
    )


def _replayed(sealed: SealedSubmission) -> Iterator[Any]:
    """The submission as multipart events, the phone's bytes read back from the vault."""
    files = [(f.name, f.blob_key, f.size) for f in sealed.files]
    if any(blob_key is None for _name, blob_key, _size in files):
        raise _KeptFileUnreadable()
    yield Field(name=XML_PART, headers=Headers())
    yield Data(data=sealed.manifest.encode("utf-8"), more_data=False)
    for name, blob_key, size in files:
        yield File(name=name, filename=name, headers=Headers())
        yield from _file_data(blob_key, size)


def _file_data(blob_key: str, size: int) -> Iterator[Data]:
    try:
        reader = open_plaintext(blob_key)
    except (AgeError, BlobStoreError):
        raise _KeptFileUnreadable() from None
    try:
        if reader.plaintext_size != size:
            raise _KeptFileUnreadable()
        chunks = reader.iter_all()
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except AgeError:
                raise _KeptFileUnreadable() from None
            yield Data(data=chunk, more_data=True)
        yield Data(data=b"", more_data=False)
    finally:
        close = getattr(reader.source, "close", None)
        if close is not None:
            close()


@dataclass
class SealedOverview:
    """What an admin is shown: how many wait, were opened or refused; the refused ones."""

    counts: dict[str, int]
    refused: list[tuple[SealedSubmission, str]]  # (row, investigation reference)


def sealed_overview(limit: int = 100) -> SealedOverview:
    """Ids, instanceIDs, times and reasons only: nothing a sealed submission holds."""
    from sqlalchemy import func

    counts = dict.fromkeys((PENDING, OPENED, REFUSED), 0)
    rows = db.session.execute(
        select(SealedSubmission.status, func.count()).group_by(SealedSubmission.status)
    )
    counts.update({status: count for status, count in rows})
    refused = db.session.execute(
        select(SealedSubmission, Investigation.reference)
        .join(Investigation, Investigation.id == SealedSubmission.investigation_id)
        .where(SealedSubmission.status == REFUSED)
        .order_by(SealedSubmission.processed_at.desc(), SealedSubmission.id)
        .limit(limit)
    )
    return SealedOverview(counts, [(row, reference) for row, reference in refused])
