"""Re-encryption: every blob a row holds copied under a fresh file key, then the rows switched.

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
   (mode "reencrypted"); only then is the old blob deleted. A row that no longer names the
   blob copied (a sealed file opened, an item destroyed meanwhile) is left, and the copy goes.

The rows are evidence items and derivatives, and whatever other packages register
(register_blob_holder: the OpenRosa files an intake node kept sealed).

A crash between 2 and 3 leaves an unreferenced new blob, and one after 3 an unreferenced old
blob: `blobs gc` removes either; no row ever names a blob that is not complete. Re-running
copies again under yet newer keys, so an interrupted run is finished by running it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

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


class ReencryptionSkipped(RuntimeError):
    """The row no longer named the blob once it was copied (opened or destroyed meanwhile)."""


@dataclass(frozen=True)
class CustodyOf:
    """Where a copy's `key_rotated` entry goes, and which copy of the entity it names."""

    investigation_id: str
    entity_type: str
    entity_id: str
    copy: str


# Rows holding an organisation-encrypted blob: a model with `id`, `blob_key` (None once the
# blob is gone), and the `sha256` and `size` of the blob's plaintext; and where its entry goes.
# Other packages register theirs (register_blob_holder); the vault knows only its own.
_HOLDERS: dict[type, Callable[[Any], CustodyOf]] = {
    EvidenceItem: lambda item: CustodyOf(item.investigation_id, "evidence", item.id, "original"),
    Derivative: lambda derivative: CustodyOf(
        derivative.investigation_id, "evidence", derivative.evidence_id, derivative.kind
    ),
}


def register_blob_holder(model: type, custody_of: Callable[[Any], CustodyOf]) -> None:
    """Have `keys reencrypt` copy the blobs of `model`'s rows too."""
    _HOLDERS.setdefault(model, custody_of)


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


def reencrypt_row(row: Any) -> None:
    """Copy one row's blob under a fresh file key and switch the row to it (see module doc)."""
    model, old_key = type(row), row.blob_key
    custody = _HOLDERS[model](row)
    new_key, sha256, size = _copy_under_fresh_key(old_key)
    if sha256 != row.sha256 or size != row.size:
        blob_store().delete(new_key)
        raise ReencryptionMismatch(
            f"{model.__name__} {row.id}: the stored plaintext does not match its recorded "
            "SHA-256 (run `flask fixity check`); left as it was"
        )
    # An Object Lock legal hold moves with the copy: the new one is held before the row names
    # it, the old one released only once nothing names it.
    held = _held_in_store(old_key)
    if held:
        _hold_new_copy(new_key)
    # Only if the row still names the blob copied: not if it was opened or destroyed meanwhile.
    switch = (
        update(model)
        .where(model.id == row.id, model.blob_key == old_key)
        .values(blob_key=new_key)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(switch).rowcount != 1:
        db.session.rollback()
        _discard(new_key, held)
        raise ReencryptionSkipped(f"{model.__name__} {row.id}: changed meanwhile; left as it was")
    append_custody_event(
        custody.investigation_id,
        ACTOR,
        CustodyAction.KEY_ROTATED,
        custody.entity_type,
        custody.entity_id,
        {
            "mode": "reencrypted",
            "copy": custody.copy,
            "sha256": sha256,
            "size": size,
            "new_recipient": str(org_recipients()[0]),
        },
    )
    db.session.commit()
    _discard(old_key, held)


def _hold_new_copy(new_key: str) -> None:
    try:
        blob_store().set_legal_hold(new_key, True)
    except BlobStoreError:
        blob_store().delete(new_key)  # not held: nothing keeps it
        raise


def _discard(key: str, held: bool) -> None:
    """Delete a copy no row names, clearing the legal hold it carries first."""
    if held:
        blob_store().set_legal_hold(key, False)
    blob_store().delete(key)


def reencrypt_all(progress: Progress | None = None) -> ReencryptionReport:
    """Re-encrypt every blob a registered row holds; one commit per blob."""
    report = ReencryptionReport()
    for model in _HOLDERS:
        named = select(model.id).where(model.blob_key.is_not(None)).order_by(model.id)
        for row_id in list(db.session.scalars(named)):
            row = db.session.get(model, row_id)
            if row is None or row.blob_key is None:
                continue  # deleted (or opened) meanwhile
            try:
                reencrypt_row(row)
            except ReencryptionMismatch:
                db.session.rollback()
                report.failed.append(row_id)
                outcome = "mismatch, left as it was"
            except ReencryptionSkipped:
                outcome = "changed meanwhile, left as it was"
            else:
                report.reencrypted += 1
                outcome = "re-encrypted"
            if progress is not None:
                progress(row_id, outcome)
    return report
