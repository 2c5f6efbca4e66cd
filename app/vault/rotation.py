"""Key rotation: a new organisation identity, and every blob's file key rewrapped to it.

Only the age header changes: the payload (nonce and chunks) is copied byte for byte behind
the new header, so plaintext hashes in the custody ledger stay valid. Crash safety:

1. the new identity is sealed into age-identities.enc (fsync, rename) BEFORE anything is
   encrypted to it, so no blob is ever wrapped to a key we could lose;
2. rotation.json names the target recipient, then recipients.txt makes it current (new
   uploads use it from then on);
3. each blob is replaced atomically (BlobStore.replace: temp + rename, or one S3 PUT): a
   reader sees the old object (opens with the old identity, which is kept) or the new one;
4. rotation.json is removed only when a full pass finds nothing left to rewrap.

Re-running `keys rotate` while rotation.json exists resumes towards the same target; blobs
already wrapped to it are skipped, so the command is idempotent.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from app.crypto.age import (
    AgeError,
    Identity,
    RandomAccessSource,
    Recipient,
    rewrap_header,
    unwrap_file_key,
)
from app.crypto.age.header import read_source_header, seal_header
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.security.field_rotation import reseal_all
from app.security.key_files import (
    KeyStoreError,
    clear_rotation_marker,
    read_rotation_marker,
    write_rotation_marker,
)
from app.security.org_keys import (
    add_identity,
    keys_dir,
    make_recipient_current,
    master_key,
    org_identities,
    previous_masters,
)
from app.vault.blobstore.base import BlobStore
from app.vault.models import Derivative, EvidenceItem
from app.vault.storage import blob_store

log = logging.getLogger(__name__)

_COPY_PIECE = 1024 * 1024
Progress = Callable[[str, str], None]  # (blob key, "rewrapped" | "already current")


class RotationIncomplete(RuntimeError):
    """Some blobs could not be rewrapped; the rotation stays open (re-run after fixing)."""


@dataclass
class RotationReport:
    target: str
    rewrapped: list[str] = field(default_factory=list)
    already_current: int = 0
    failed: list[str] = field(default_factory=list)
    resealed: int = 0  # sealed fields (witness identities, testimony...) sealed to the target


def _close(source: RandomAccessSource) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        close()


def payload_pieces(source: RandomAccessSource, start: int) -> Iterator[bytes]:
    """The bytes of source from `start` to its end, in bounded pieces."""
    offset = start
    while offset < source.size:
        piece = source.read_at(offset, min(_COPY_PIECE, source.size - offset))
        if not piece:
            raise AgeError("blob shrank while it was being rewritten")
        offset += len(piece)
        yield piece


def replace_header(store: BlobStore, key: str, new_header: bytes) -> None:
    """Put new_header in front of the blob's unchanged payload, atomically."""
    source = store.open(key)
    try:
        header, _ = read_source_header(source)
        store.replace(key, itertools.chain([new_header], payload_pieces(source, header.length)))
    finally:
        _close(source)


def rewrap_with_file_key(
    store: BlobStore, key: str, file_key: bytes, recipients: list[Recipient]
) -> None:
    """Re-address a blob whose file key we hold (a resumable upload finished after a rotation)."""
    replace_header(store, key, seal_header(file_key, recipients))


def _wrapped_for(source: RandomAccessSource, identity: Identity) -> bool:
    try:
        unwrap_file_key(source, [identity])
    except AgeError:
        return False
    return True


def _rewrap_one(store: BlobStore, key: str, identities: list[Identity], target: Identity) -> bool:
    """True if rewrapped, False if already wrapped to the target."""
    source = store.open(key)
    try:
        if _wrapped_for(source, target):
            return False
        new_header, payload_offset = rewrap_header(source, identities, [target.recipient])
        store.replace(key, itertools.chain([new_header], payload_pieces(source, payload_offset)))
    finally:
        _close(source)
    return True


def start_or_resume_rotation() -> Recipient:
    """The target recipient: the unfinished rotation's, or a freshly added identity's."""
    directory = keys_dir()
    marker = read_rotation_marker(directory)
    if marker is None:
        identity = add_identity(directory, master_key(), previous_masters())
        write_rotation_marker(directory, identity.recipient)
        target = identity.recipient
    else:
        target = marker.target
    if not any(identity.recipient == target for identity in org_identities()):
        raise KeyStoreError(
            "rotation.json names a recipient whose identity is not in the key store; "
            "restore the key folder from backup"
        )
    make_recipient_current(directory, target)
    return target


def rotate_keys(progress: Progress | None = None) -> RotationReport:
    """Add (or resume towards) a new identity and rewrap every stored blob to it."""
    target_recipient = start_or_resume_rotation()
    identities = org_identities()
    target = next(i for i in identities if i.recipient == target_recipient)
    store = blob_store()
    report = RotationReport(str(target_recipient))
    # Blobs committed during a pass may have used the old recipient (a server that read
    # recipients.txt just before the switch): pass again until a pass changes nothing.
    while True:
        changed = False
        for info in store.list():
            try:
                rewrapped = _rewrap_one(store, info.key, identities, target)
            except AgeError:
                if info.key not in report.failed:
                    report.failed.append(info.key)
                continue
            if rewrapped:
                changed = True
                report.rewrapped.append(info.key)
            else:
                report.already_current += 1
            if progress is not None:
                progress(info.key, "rewrapped" if rewrapped else "already current")
        if not changed:
            break
        report.already_current = 0
    report.resealed = sum(reseal_all(db.session, db.metadata).values())
    db.session.commit()
    _record_in_ledgers(report)
    if report.failed:
        raise RotationIncomplete(
            f"{len(report.failed)} blob(s) could not be opened with any organisation identity "
            "and were not rewrapped; the rotation stays open"
        )
    clear_rotation_marker(keys_dir())
    return report


def _record_in_ledgers(report: RotationReport) -> None:
    """One key_rotated entry per investigation whose evidence blobs were rewrapped."""
    if not report.rewrapped:
        return
    keys = set(report.rewrapped)
    counts: dict[str, int] = {}
    for model in (EvidenceItem, Derivative):
        rows = db.session.execute(select(model.investigation_id, model.blob_key))
        for investigation_id, blob_key in rows:
            if blob_key in keys:
                counts[investigation_id] = counts.get(investigation_id, 0) + 1
    for investigation_id, count in sorted(counts.items()):
        append_custody_event(
            investigation_id,
            "system:keys-rotate",
            "key_rotated",
            "investigation",
            investigation_id,
            {"new_recipient": report.target, "blobs_rewrapped": count},
        )
    db.session.commit()
