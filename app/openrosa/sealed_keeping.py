"""On an intake node: an encrypted submission kept as it came, for the reading node to open.

The node publishes the reading node's public form key (app/openrosa/form_key.py) and holds no
private key, so it cannot open the file key the phone wrapped, nor any file. It keeps what it
was sent: the manifest (what ODK sends in clear: form id, version, instanceID, wrapped key,
file list, encrypted signature) in `openrosa_sealed_submissions`, and each `.enc` file the
manifest names streamed through the vault's writer into a blob (age-encrypted to the
organisation like every blob, and hashed), in `openrosa_sealed_files`. The files are held
(not recorded) until the request ends: all of them, or nothing (a missing file is refused).

instanceID is the idempotency key here too: a resend of the same manifest by the same person
is read past and answered as the first; another manifest with that instanceID gets 409.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.crypto.canonical import canonical_json
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.openrosa.encrypted import Manifest
from app.openrosa.sealed_models import SealedFile, SealedSubmission
from app.openrosa.submission_xml import SubmissionRejected
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobStoreError
from app.vault.delete_guard import unguarded
from app.vault.reservations import release_blobs, reserve_blob
from app.vault.storage import EncryptedBlobWriter, StoredBlob, blob_store

log = logging.getLogger(__name__)

# A kept submission's entry lists its files by hash up to this many; beyond, their digest.
LISTED_FILES = 32
SENT_BEFORE = "A different submission with this instanceID was received before."
MISSING = "An encrypted submission must bring all its files in one request."


@dataclass
class SealedKeeping:
    """One encrypted submission being kept: a writer per `.enc` file, all recorded at the end."""

    investigation: Any
    device: Any
    user: Any
    manifest: Manifest
    manifest_xml: bytes
    resend: bool = False
    writers: dict[str, EncryptedBlobWriter] = field(default_factory=dict)
    stored: dict[str, StoredBlob] = field(default_factory=dict)
    current: str | None = None

    def start(self, name: str) -> bool:
        """Keep this part if the manifest names it; False to read past it."""
        if self.resend or name not in self.manifest.files:
            return False
        if name in self.writers or name in self.stored:
            raise SubmissionRejected("The request carries the same encrypted file twice.")
        writer = self.writers[name] = EncryptedBlobWriter()
        reserve_blob(writer.key)  # recorded only with the last file: until then gc leaves it
        self.current = name
        return True

    def write(self, data: bytes, more: bool) -> None:
        name = self.current
        writer = self.writers[name]
        if data:
            writer.write(data)
        if not more:
            self.stored[name] = writer.commit()
            del self.writers[name]
            self.current = None

    def finish(self) -> int:
        """Record the submission and its files in one transaction; the number of files kept."""
        if self.resend:
            return 0
        if any(name not in self.stored for name in self.manifest.files):
            raise SubmissionRejected(MISSING)
        row = SealedSubmission(
            investigation_id=self.investigation.id,
            instance_id=self.manifest.instance_id,
            form_id=self.manifest.form_id,
            form_version=self.manifest.version,
            device_id=self.device.id,
            user_id=self.user.id,
            manifest=self.manifest_xml.decode("utf-8"),
            manifest_sha256=hashlib.sha256(self.manifest_xml).hexdigest(),
            received_at=utcnow(),
        )
        try:
            db.session.add(row)
            db.session.flush()
            for position, name in enumerate(self.manifest.files):
                blob = self.stored[name]
                db.session.add(
                    SealedFile(
                        sealed_submission_id=row.id,
                        name=name,
                        position=position,
                        blob_key=blob.key,
                        size=blob.size,
                        sha256=blob.sha256,
                    )
                )
            self._record_kept(row)
            release_blobs(blob.key for blob in self.stored.values())
            db.session.commit()
        except IntegrityError:
            # The same instanceID recorded meanwhile (a retry racing the first request).
            db.session.rollback()
            self.abort()
            find_earlier(self)
            if self.resend:
                return 0
            raise
        except BaseException:
            db.session.rollback()
            self.abort()
            raise
        return len(self.stored)

    def _record_kept(self, row: SealedSubmission) -> None:
        """Custody starts on arrival: what was kept, by its encrypted bytes' hashes."""
        kept = [self.stored[name] for name in self.manifest.files]
        files = [
            {"position": position, "size": blob.size, "sha256": blob.sha256}
            for position, blob in enumerate(kept)
        ]
        details = {
            "instance_id": row.instance_id,
            "form_id": row.form_id,
            "form_version": row.form_version,
            "manifest_sha256": row.manifest_sha256,
            "file_count": len(files),
            "files_sha256": hashlib.sha256(canonical_json(files)).hexdigest(),
            "channel": "openrosa",
        }
        if len(files) <= LISTED_FILES:  # the entry's details stay small (ledger.py's limit)
            details["files"] = files
        append_custody_event(
            row.investigation_id, self.user, "sealed_submission_kept", "sealed_submission",
            row.id, details,
        )  # fmt: skip

    def abort(self) -> None:
        """Nothing of a kept submission not yet recorded stays (each blob is removed)."""
        writers, self.writers = self.writers, {}
        stored, self.stored = self.stored, {}
        for writer in writers.values():
            writer.abort()
        for blob in stored.values():
            try:
                unguarded(blob_store()).delete(blob.key)
            except BlobStoreError:
                log.warning("could not delete an unrecorded sealed file; `blobs gc` will")
        reserved = [w.key for w in writers.values()] + [b.key for b in stored.values()]
        try:
            release_blobs(reserved)
            db.session.commit()
        except SQLAlchemyError:  # the database is why it failed: the reservations lapse
            db.session.rollback()


def begin_keeping(
    investigation: Any, device: Any, user: Any, manifest: Manifest, manifest_xml: bytes
) -> SealedKeeping:
    try:
        manifest_xml.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionRejected("The encrypted submission's manifest is not UTF-8.") from None
    keeping = SealedKeeping(investigation, device, user, manifest, manifest_xml)
    find_earlier(keeping)
    return keeping


def find_earlier(keeping: SealedKeeping) -> None:
    """A resend if this instanceID was kept before from the same manifest and person; 409 if
    another manifest or person sent it."""
    earlier = db.session.scalar(
        select(SealedSubmission).where(
            SealedSubmission.investigation_id == keeping.investigation.id,
            SealedSubmission.instance_id == keeping.manifest.instance_id,
        )
    )
    if earlier is None:
        return
    digest = hashlib.sha256(keeping.manifest_xml).hexdigest()
    if earlier.manifest_sha256 != digest or earlier.user_id != keeping.user.id:
        raise SubmissionRejected(SENT_BEFORE, 409)
    keeping.resend = True
