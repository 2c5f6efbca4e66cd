"""Streaming intake: one pass through SHA-256 and age encryption into a pending blob, then a row.

The order is what makes intake crash-safe (docs/vault.md, "Crash safety"):

1. validate the name, declared size and capture facts before reading a byte;
2. hold the first SNIFF_BYTES, decide the type from them (refused -> nothing was stored);
3. stream everything through SHA-256 (of the original bytes) and AgeWriter into a
   PendingBlob, counting bytes against the size limit as they arrive; the ciphertext is
   written by a thread of its own (app/vault/tus/writer.py), so receiving, hashing and
   sealing go on while the disk takes the previous pieces;
4. commit the blob (fsync + rename, or multipart completion): it is now durable;
5. insert the EvidenceItem and its custody events in ONE transaction and commit;
6. only then start post-intake processing (metadata, derivatives).

A failure before 4 aborts the pending blob; a failure at 5 deletes the committed blob;
a crash anywhere leaves at most an unreferenced blob or temp file that `blobs gc` removes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.crypto.age import AgeWriter
from app.crypto.canonical import canonical_json
from app.custody.ledger import append_custody_event
from app.extensions import db
from app.investigations.access import membership_for
from app.investigations.models import Investigation
from app.security.org_keys import org_recipients
from app.vault.blobstore.base import BlobStoreError, PendingBlob
from app.vault.delete_guard import unguarded
from app.vault.hooks import run_recorded_hooks
from app.vault.jobs import queue_evidence_processing
from app.vault.models import EvidenceItem
from app.vault.processing import process_new_evidence
from app.vault.reservations import release_blobs, reserve_blob
from app.vault.storage import blob_store
from app.vault.tus.writer import BlobWriterThread
from app.vault.upload.checks import (
    check_declared_size,
    check_filename,
    clean_client_facts,
    empty_file,
    max_upload_bytes,
    too_large,
)
from app.vault.upload.refusals import IntakeRefused
from app.vault.upload.sniff import SNIFF_BYTES, DetectedType, detect_type

__all__ = [
    "IntakeRefused",
    "IntakeWriter",
    "begin_intake",
    "record_evidence",
]

log = logging.getLogger(__name__)

# --- The streaming writer --------------------------------------------------------------------


class IntakeWriter:
    """Receives one file's bytes in pieces; see the module docstring for the order of steps."""

    def __init__(
        self,
        investigation: Investigation,
        user: Any,
        filename: str,
        client_facts: dict | None,
        declared_size: int | None,
        channel: str = "multipart",
        on_recorded: Callable[[EvidenceItem], None] | None = None,
        received_details: dict[str, Any] | None = None,
        held: bool = False,
    ) -> None:
        self.investigation = investigation
        # Finished only once the request's other files have come: its blob is reserved from
        # `blobs gc` meanwhile (app/vault/reservations.py).
        self.held = held
        self.received_details = received_details  # more for the ledger's `received` entry
        self.on_recorded = on_recorded  # changes other rows in the item's own transaction
        self.user = user
        self.filename = filename
        self.client_facts = client_facts
        self.declared_size = declared_size
        self.channel = channel
        self.size = 0
        self._limit = max_upload_bytes()
        self._digest = hashlib.sha256()
        self._prefix = bytearray()
        self._detected: DetectedType | None = None
        self._pending: PendingBlob | None = None
        self._writer: AgeWriter | None = None
        self._blob_writer: BlobWriterThread | None = None
        self._closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ValueError("write to a finished or aborted intake")
        try:
            self._write(data)
        except BaseException:
            self.abort()
            raise

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        size = self.size + memoryview(data).nbytes
        if size > self._limit:
            raise too_large(self._limit)
        if self.declared_size is not None and size > self.declared_size:
            raise IntakeRefused(
                "size_mismatch", "More bytes arrived than the upload declared; nothing was stored."
            )
        self.size = size
        self._digest.update(data)
        if self._writer is not None:
            self._writer.write(data)
            return
        self._prefix += data
        if len(self._prefix) >= SNIFF_BYTES:
            self._start_blob()

    def _start_blob(self) -> None:
        """Decide the type from the held prefix; only an accepted file reaches the store."""
        self._detected = detect_type(bytes(self._prefix[:SNIFF_BYTES]))
        self._pending = blob_store().begin()
        if self.held:
            reserve_blob(self._pending.key)
        self._blob_writer = BlobWriterThread(
            current_app._get_current_object(), self._pending, _no_checkpoints
        )
        self._writer = AgeWriter(self._blob_writer.emit, org_recipients())
        self._writer.write(self._prefix)
        self._prefix = bytearray()

    def finish(self) -> EvidenceItem:
        """Seal, make the blob durable, then commit the row and its custody events."""
        if self._closed:
            raise ValueError("finish of a finished or aborted intake")
        try:
            if self.size == 0:
                raise empty_file()
            if self.declared_size is not None and self.size != self.declared_size:
                raise IntakeRefused(
                    "size_mismatch",
                    "Fewer bytes arrived than the upload declared; nothing was stored.",
                )
            if self._writer is None:
                self._start_blob()
            assert self._writer is not None and self._pending is not None
            assert self._detected is not None
            self._writer.close()
            assert self._blob_writer is not None
            self._blob_writer.flush()
            self._blob_writer.stop()  # every byte written (or the store's error raised here)
            self._pending.commit()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        item = record_evidence(
            self.investigation,
            self.user,
            blob_key=self._pending.key,
            sha256=self._digest.hexdigest(),
            size=self.size,
            detected=self._detected,
            filename=self.filename,
            client_facts=self.client_facts,
            channel=self.channel,
            on_recorded=self._recorded,
            received_details=self.received_details,
        )
        run_post_intake(item.id)
        return item

    def _recorded(self, item: EvidenceItem) -> None:
        if self.held:
            release_blobs([item.blob_key])  # the row holds it now, in the same transaction
        if self.on_recorded is not None:
            self.on_recorded(item)

    def abort(self) -> None:
        """Discard everything received; safe to call more than once."""
        self._closed = True
        self._prefix = bytearray()
        blob_writer, self._blob_writer = self._blob_writer, None
        if blob_writer is not None:
            blob_writer.stop(raise_error=False)  # the blob is ours again before it is removed
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.abort()
            if self.held:
                _release_after_abort(pending.key)


def _release_after_abort(key: str) -> None:
    try:
        release_blobs([key])
        db.session.commit()
    except SQLAlchemyError:  # the database is why it failed: the reservation lapses
        db.session.rollback()


def _no_checkpoints(marker: Any, blob_state: str) -> None:
    raise AssertionError("a single-request intake takes no checkpoints")


def begin_intake(
    investigation: Investigation,
    user: Any,
    filename: str,
    client_facts: dict | None,
    declared_size: int | None,
    on_recorded: Callable[[EvidenceItem], None] | None = None,
    channel: str = "multipart",
    received_details: dict[str, Any] | None = None,
    held: bool = False,
) -> IntakeWriter:
    """Start receiving one file for an investigation the user is a member of.

    on_recorded(item) runs in the transaction that records the item (attaching it to an
    interview, say): both are stored, or neither. channel and received_details say, in the
    ledger's `received` entry, how the file came (an OpenRosa submission's instanceID, say).
    """
    if membership_for(investigation, user) is None:
        # Routes answer 404 before getting here; a service caller without membership is a bug.
        raise PermissionError("only members of an investigation may add evidence to it")
    check_filename(filename)
    check_declared_size(declared_size)
    facts = clean_client_facts(client_facts)
    return IntakeWriter(
        investigation,
        user,
        filename,
        facts,
        declared_size,
        channel=channel,
        on_recorded=on_recorded,
        received_details=received_details,
        held=held,
    )


# --- Recording the row -----------------------------------------------------------------------


def record_evidence(
    investigation: Investigation,
    user: Any,
    *,
    blob_key: str,
    sha256: str,
    size: int,
    detected: DetectedType,
    filename: str,
    client_facts: dict | None,
    channel: str,
    on_recorded: Callable[[EvidenceItem], None] | None = None,
    received_details: dict[str, Any] | None = None,
) -> EvidenceItem:
    """Insert the item and its custody entries in one transaction; the blob is already durable.

    If the transaction fails the blob is deleted (a crash instead leaves it to `blobs gc`),
    so a failed intake never leaves a row without a blob nor a blob without a row.
    on_recorded(item) may change other rows in the same transaction (the upload session).
    """
    facts_json = (
        json.dumps(client_facts, ensure_ascii=False, sort_keys=True) if client_facts else None
    )
    try:
        item = EvidenceItem(
            investigation_id=investigation.id,
            kind=detected.kind,
            media_type=detected.media_type,
            size=size,
            sha256=sha256,
            blob_key=blob_key,
            original_filename=filename,
            client_facts=facts_json,
            uploaded_by_id=user.id,
        )
        db.session.add(item)
        db.session.flush()
        if client_facts:
            append_custody_event(
                investigation.id,
                user,
                "collected",
                "evidence",
                item.id,
                collected_details(client_facts),
            )
        append_custody_event(
            investigation.id,
            user,
            "received",
            "evidence",
            item.id,
            {
                "sha256": sha256,
                "size": size,
                "media_type": detected.media_type,
                "kind": detected.kind,
                "blob_key": blob_key,
                **(received_details or {}),
                "channel": channel,
            },
        )
        run_recorded_hooks(item, user)  # exact duplicates (app/duplicates/exact.py)
        if on_recorded is not None:
            on_recorded(item)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _delete_unrecorded_blob(blob_key)
        raise
    return item


def collected_details(client_facts: dict) -> dict:
    """What the ledger says about the client's capture facts.

    The ledger travels to courts and opposing counsel, and facts such as "captured_by" or
    a GPS position may identify a witness; so the ledger commits to the facts by their
    hash (the facts themselves are on the row, encrypted) and names which were reported.
    """
    details: dict[str, Any] = {
        "client_facts_sha256": hashlib.sha256(canonical_json(client_facts)).hexdigest(),
        "reported_fields": sorted(client_facts),
    }
    captured_at = client_facts.get("captured_at")
    if isinstance(captured_at, str) and _is_timestamp(captured_at):
        details["captured_at"] = captured_at  # a bare timestamp names nobody
    return details


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return len(value) <= 40


def _delete_unrecorded_blob(blob_key: str) -> None:
    """Remove the blob of an intake whose row never committed.

    No row names a fresh random key, so no hold can cover it: the delete goes past the hold
    guard (app/vault/delete_guard.py), which would ask the database, and the database may be
    exactly what failed.
    """
    try:
        unguarded(blob_store()).delete(blob_key)
    except BlobStoreError:
        # The original error is what matters to the caller; gc removes the orphan later.
        log.warning("could not delete an unrecorded blob; `blobs gc` will remove it")


def run_post_intake(evidence_id: str) -> None:
    """Hand the committed item to media processing (app.vault.processing).

    The evidence is already stored and recorded: a processing failure is logged and can be
    retried, it does not undo the intake.
    """
    if queue_evidence_processing(evidence_id):
        return  # CUSTOS_JOB_BACKEND=rq: a `flask worker` does it, off the upload's request
    try:
        process_new_evidence(evidence_id)
    except Exception as exc:  # noqa: BLE001 (the evidence is safe; processing is retryable)
        db.session.rollback()
        # The type and the item only: a message could quote metadata read from the file.
        log.error(
            "post-intake processing failed for evidence %s (%s); retry it later",
            evidence_id,
            type(exc).__name__,
        )
