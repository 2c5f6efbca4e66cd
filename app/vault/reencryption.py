"""Re-encryption: every evidence blob copied under a fresh file key, then the rows switched.

`keys rotate` rewraps each blob's file key to a new identity and keeps the payload: a copy of
an old header (a backup, an S3 object version) plus the stolen old identity still opens the
current payload, because the file key did not change. After an identity is compromised, that
is not enough. `keys reencrypt` decrypts each blob, encrypts it again to the current
recipient under a new random file key and payload nonce, and writes it under a NEW blob key;
the stored object is never modified in place. For each blob:

1. stream old -> new (bounded memory), hashing the plaintext on the way;
2. the new blob is committed (durable) and its SHA-256 and size must equal the row's, so the
   bytes the ledger vouches for are exactly what is now stored;
3. one transaction switches the row to the new key and appends a `key_rotated` custody entry
   (mode "reencrypted"); only then is the old blob deleted.

A crash between 2 and 3 leaves an unreferenced new blob, and one after 3 an unreferenced old
blob: `blobs gc` removes either; no row ever names a blob that is not complete. Re-running
copies again under yet newer keys, so an interrupted run is finished by running it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.crypto.age import AgeWriter
from app.custody.ledger import CustodyAction, append_custody_event
from app.extensions import db
from app.security.org_keys import org_recipients
from app.vault.blobstore.base import BlobStoreError
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store, open_plaintext

ACTOR = "system:keys-reencrypt"
Progress = Callable[[str, str], None]  # (row id, outcome)


class ReencryptionMismatch(RuntimeError):
    """A blob's plaintext no longer matches its recorded SHA-256; it was left as it was."""


@dataclass
class ReencryptionReport:
    reencrypted: int = 0
    failed: list[str] = field(default_factory=list)


def _copy_under_fresh_key(blob_key: str) -> tuple[str, str, int]:
    """A new committed blob holding the same plaintext: (key, sha256, size)."""
    reader = open_plaintext(blob_key)
    pending = blob_store().begin()
    digest = hashlib.sha256()
    try:
        writer = AgeWriter(pending.write, org_recipients())  # a fresh random file key
        for piece in reader.iter_all():
            digest.update(piece)
            writer.write(piece)
        writer.close()
        pending.commit()
    except BaseException:
        pending.abort()
        raise
    finally:
        close = getattr(reader.source, "close", None)
        if close is not None:
            close()
    return pending.key, digest.hexdigest(), writer.plaintext_size


def _held_in_store(key: str) -> bool:
    """Whether the object store keeps `key` under an Object Lock legal hold."""
    store = blob_store()
    return bool(getattr(store, "object_lock", False)) and store.legal_hold(key)


def reencrypt_row(row: EvidenceItem | Derivative) -> None:
    """Copy one row's blob under a fresh file key and switch the row to it (see module doc)."""
    old_key = row.blob_key
    new_key, sha256, size = _copy_under_fresh_key(old_key)
    if sha256 != row.sha256 or size != row.size:
        blob_store().delete(new_key)
        raise ReencryptionMismatch(
            f"{type(row).__name__} {row.id}: the stored plaintext does not match its recorded "
            "SHA-256 (run `flask fixity check`); left as it was"
        )
    # An Object Lock legal hold moves with the copy: the new one is held before the row names
    # it, the old one released only once nothing names it.
    held = _held_in_store(old_key)
    if held:
        _hold_new_copy(new_key)
    evidence_id = row.id if isinstance(row, EvidenceItem) else row.evidence_id
    row.blob_key = new_key
    append_custody_event(
        row.investigation_id,
        ACTOR,
        CustodyAction.KEY_ROTATED,
        "evidence",
        evidence_id,
        {
            "mode": "reencrypted",
            "copy": "original" if isinstance(row, EvidenceItem) else row.kind,
            "sha256": sha256,
            "size": size,
            "new_recipient": str(org_recipients()[0]),
        },
    )
    db.session.commit()
    if held:
        blob_store().set_legal_hold(old_key, False)
    blob_store().delete(old_key)


def _hold_new_copy(new_key: str) -> None:
    try:
        blob_store().set_legal_hold(new_key, True)
    except BlobStoreError:
        blob_store().delete(new_key)  # not held: nothing keeps it
        raise


def reencrypt_all(progress: Progress | None = None) -> ReencryptionReport:
    """Re-encrypt every evidence item's and derivative's blob; one commit per blob."""
    report = ReencryptionReport()
    for model in (EvidenceItem, Derivative):
        ids = list(db.session.scalars(select(model.id).order_by(model.id)))
        for row_id in ids:
            row = db.session.get(model, row_id)
            if row is None:
                continue  # deleted meanwhile
            try:
                reencrypt_row(row)
            except ReencryptionMismatch:
                db.session.rollback()
                report.failed.append(row_id)
                outcome = "mismatch, left as it was"
            else:
                report.reencrypted += 1
                outcome = "re-encrypted"
            if progress is not None:
                progress(row_id, outcome)
    return report
