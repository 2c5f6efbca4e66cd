"""Resumable uploads (tus 1.0 core, creation and termination): sessions, appends, completion.

Between requests an upload lives in two places (docs/vault.md, "Resumable uploads"):

- the ciphertext so far, in a ResumableBlob of the store (a temp file, or an S3 multipart
  upload plus a small tail object), durable up to its last checkpoint;
- UploadSession.stream_state, an encrypted column (AES-256-GCM under a key derived from the
  master, bound to the row): the age file key and payload nonce, the STREAM chunk counter,
  the plaintext tail not yet sealed into a 64 KiB chunk, and the blob's checkpoint.

A checkpoint makes the blob durable first and then commits offset + state in one row update,
so the recorded offset never runs ahead of the bytes. Both happen off the request thread
(app/vault/tus/writer.py: the fsync and the row update on a sync thread while the
writer thread goes on writing), so the request thread never waits on the disk. A PATCH
claims a lease on the row (one writer at a time) and renews it while streaming; anything a
crashed request wrote after its last checkpoint is truncated away when the next request
resumes.

SHA-256 of the original bytes cannot be serialised, so the running hash stays in this process
between PATCHes (hashes.py); a PATCH on another worker, or after a restart, makes the
completion decrypt the finished blob once with the upload's own file key and hash that (the
AEAD tags bind it to the bytes as they streamed in). Leases: lease.py.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from werkzeug.exceptions import ClientDisconnected

from app.crypto.age import Recipient
from app.extensions import db
from app.investigations.access import membership_for
from app.investigations.models import Investigation
from app.security.org_keys import org_recipients
from app.timeutil import utcnow
from app.vault.blobstore.base import BlobNotFound, ResumableBlob
from app.vault.incident_links import UploadLink
from app.vault.models import EvidenceItem, UploadSession
from app.vault.rotation import rewrap_with_file_key
from app.vault.storage import blob_store
from app.vault.tus.age_stream import ResumableEncryptor, verify_stored
from app.vault.tus.discard import discard_session
from app.vault.tus.hashes import hash_cache
from app.vault.tus.lease import abandon, claim, lease_renew_seconds, release, renew
from app.vault.tus.rekey import rekey_upload
from app.vault.tus.writer import BlobWriterThread
from app.vault.upload.checks import check_declared_size, check_filename, clean_client_facts
from app.vault.upload.refusals import IntakeRefused, UploadProblem
from app.vault.upload.stream import record_evidence, run_post_intake

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
# As multipart intake's (app/vault/upload/multipart.py): bigger pieces only hold more memory.
READ_SIZE = 256 * 1024
# A long PATCH checkpoints every CHECKPOINT_BYTES, but not more often than every
# CHECKPOINT_SECONDS: a checkpoint costs a row commit (and an fsync, off this thread)
# whatever its size, so on a fast link a byte interval alone would make durability cost
# grow with bandwidth. A crash loses at most the larger of the two, plus what arrived
# while the last checkpoint was being made durable.
CHECKPOINT_BYTES = 32 * 1024 * 1024
CHECKPOINT_SECONDS = 2.0


def upload_ttl() -> timedelta:
    return timedelta(hours=int(current_app.config["CUSTOS_UPLOAD_TTL_HOURS"]))


# --- Creating, inspecting and deleting sessions --------------------------------------------


def create_upload(
    investigation: Investigation,
    user: Any,
    filename: str,
    client_facts: dict | None,
    length: int,
    link: UploadLink | None = None,
) -> UploadSession:
    """tus creation: a session for `length` bytes, its stream header already durable.

    `link` (already checked by `upload_link`) ties the finished item to an incident.
    """
    if membership_for(investigation, user) is None:
        raise PermissionError("only members of an investigation may add evidence to it")
    check_filename(filename)
    check_declared_size(length)
    facts = clean_client_facts(client_facts)
    stream, header = ResumableEncryptor.new(org_recipients())
    blob = blob_store().begin_resumable()
    now = utcnow()
    try:
        blob.write(header)
        blob_state = blob.checkpoint()
        blob.close()
        session = UploadSession(
            investigation_id=investigation.id,
            user_id=user.id,
            length=length,
            offset=0,
            filename=filename,
            client_facts=json.dumps(facts, ensure_ascii=False, sort_keys=True) if facts else None,
            incident_link=json.dumps(asdict(link), ensure_ascii=False) if link else None,
            stream_state=json.dumps(stream.state(blob_state)),
            chunk_count=0,
            spool_key=blob.key,
            created_at=now,
            updated_at=now,
            expires_at=now + upload_ttl(),
        )
        db.session.add(session)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        blob.abort()
        raise
    hash_cache().put(session.id, 0, hashlib.sha256())
    return session


def owned_session(session: UploadSession, user: Any) -> UploadSession:
    """Writes to an upload are its uploader's alone (custody: who submitted what)."""
    if session.user_id != getattr(user, "id", None):
        raise UploadProblem(404, "not_found", "There is no such upload.")
    return session


def check_alive(session: UploadSession) -> None:
    if session.evidence_id is None and session.expires_at < utcnow():
        raise UploadProblem(
            410, "expired", "This upload expired before it was finished; start it again."
        )


def delete_upload(session: UploadSession, user: Any) -> None:
    """tus termination: discard an unfinished upload and its partial blob."""
    owned_session(session, user)
    if session.evidence_id is not None:
        raise UploadProblem(
            409, "complete", "This upload is complete and is now evidence; it cannot be deleted."
        )
    claim(session, session.offset)  # refuses while another request is writing (dirty or not)
    spool_key = session.spool_key
    db.session.delete(session)
    db.session.commit()
    if spool_key:
        blob_store().delete_incomplete(spool_key)


# --- Appending (PATCH) -----------------------------------------------------------------------


@dataclass
class AppendResult:
    offset: int
    length: int
    expires_at: datetime
    evidence: EvidenceItem | None = None


@dataclass
class _Checkpoint:
    """What a checkpoint records once the blob is durable up to it (taken when requested)."""

    offset: int
    stream_state: dict[str, Any]
    chunk_count: int
    digest: Any | None


class _Append:
    """One PATCH: resumed stream and blob, the lease, and checkpoints.

    Ciphertext goes to the blob through a BlobWriterThread, which also makes checkpoints
    durable and records them (overlapping further writes); at most one is outstanding, so
    an S3 checkpoint never removes the tail the database still names.
    """

    def __init__(self, session: UploadSession, user: Any, token: str) -> None:
        self.session = session
        self.session_id = session.id
        self.user = user
        self.token = token
        self.state = json.loads(session.stream_state or "{}")
        self.stream = ResumableEncryptor.from_state(self.state)
        self.offset = session.offset
        self.recorded_offset = session.offset
        self.length = session.length
        self.digest = hash_cache().take(session.id, session.offset)
        if self.digest is None and session.offset == 0:
            self.digest = hashlib.sha256()
        self.blob: ResumableBlob = blob_store().resume(session.spool_key or "", self.state["blob"])
        self.renewed_at = time.monotonic()
        self.writer: BlobWriterThread | None = None
        self.outstanding: _Checkpoint | None = None

    def start_writing(self) -> None:
        self.writer = BlobWriterThread(current_app._get_current_object(), self.blob, self._durable)

    def stop_writing(self, raise_error: bool = True) -> None:
        """Wait for every queued write and checkpoint; the blob is this thread's again."""
        if self.writer is not None:
            self.writer.stop(raise_error)

    def write(self, data: bytes) -> None:
        if time.monotonic() - self.renewed_at > lease_renew_seconds():
            renew(self.session_id, self.token)
            db.session.commit()
            self.renewed_at = time.monotonic()
        assert self.writer is not None
        self.stream.write(data, self.writer.emit)
        if self.digest is not None:
            self.digest.update(data)
        self.offset += len(data)
        self.writer.flush()

    def _mark(self) -> _Checkpoint:
        return _Checkpoint(
            self.offset,
            self.stream.snapshot(),
            self.stream.counter,
            self.digest.copy() if self.digest is not None else None,
        )

    def request_checkpoint(self) -> None:
        """Have the writer make everything so far durable, then record it (see _durable)."""
        assert self.writer is not None and self.outstanding is None
        self.outstanding = self._mark()
        self.writer.checkpoint(self.outstanding)

    def _durable(self, marker: _Checkpoint, blob_state: str) -> None:
        """Once durable, off the request thread, with its own database session: record it,
        then allow the next."""
        try:
            self._record(marker, blob_state)
        except BaseException:
            db.session.rollback()
            raise
        self.outstanding = None

    def finish_partial(self) -> None:
        """End of a PATCH short of the length: everything received becomes durable, recorded."""
        self.stop_writing()
        if self.offset != self.recorded_offset:
            self._record(self._mark(), self.blob.checkpoint())
        elif self.digest is not None:
            hash_cache().put(self.session_id, self.offset, self.digest)

    def _record(self, marker: _Checkpoint, blob_state: str) -> None:
        """One row update: the offset never runs ahead of the blob's durable bytes."""
        renew(self.session_id, self.token)
        now = utcnow()
        # populate_existing: the other thread may have recorded a checkpoint since this
        # session loaded the row.
        session = db.session.get(UploadSession, self.session_id, populate_existing=True)
        assert session is not None
        session.offset = marker.offset
        session.stream_state = json.dumps({**marker.stream_state, "blob": blob_state})
        session.chunk_count = marker.chunk_count
        session.updated_at = now
        session.expires_at = now + upload_ttl()
        db.session.commit()
        self.renewed_at = time.monotonic()
        self.recorded_offset = marker.offset
        if marker.digest is not None:
            hash_cache().put(self.session_id, marker.offset, marker.digest)

    def complete(self) -> EvidenceItem:
        session = db.session.get(UploadSession, self.session_id)
        assert session is not None
        detected = self.stream.finish(self.blob.write)
        self.blob.commit()
        key = self.blob.key
        current = [str(r) for r in org_recipients()]
        if self.stream.recipients != current:
            # A key rotation happened while this upload was open: address it to the new key.
            rewrap_with_file_key(
                blob_store(), key, self.stream.file_key, [Recipient.parse(r) for r in current]
            )
        if self.digest is not None:
            sha256, size = self.digest.hexdigest(), self.offset
        else:
            sha256, size = verify_stored(key, self.stream.file_key)
        facts = json.loads(session.client_facts) if session.client_facts else None
        link = UploadLink(**json.loads(session.incident_link)) if session.incident_link else None

        def close_session(item: EvidenceItem) -> None:
            if link is not None:
                link.apply(item)
            session.offset = size
            session.evidence_id = item.id
            session.stream_state = None
            session.spool_key = None
            session.lease_token = None
            session.lease_expires_at = None
            session.updated_at = utcnow()

        investigation = db.session.get(Investigation, session.investigation_id)
        item = record_evidence(
            investigation,
            self.user,
            blob_key=key,
            sha256=sha256,
            size=size,
            detected=detected,
            filename=session.filename,
            client_facts=facts,
            channel="resumable",
            on_recorded=close_session,
        )
        return item


def append_to_upload(
    session: UploadSession,
    user: Any,
    offset: int,
    read: Callable[[int], bytes],
    content_length: int | None,
) -> AppendResult:
    """tus PATCH: append the body at `offset`; completes the evidence at the declared length.

    Bytes received before the client disconnects are kept (tus core: "Servers SHOULD
    always attempt to process partial message bodies"). Refused content (type, bomb)
    discards the whole upload.
    """
    owned_session(session, user)
    if session.evidence_id is not None:
        if offset == session.length and not content_length:
            return AppendResult(session.offset, session.length, session.expires_at)
        raise UploadProblem(409, "complete", "This upload is already complete.")
    check_alive(session)
    if offset != session.offset:
        raise UploadProblem(
            409, "offset_mismatch", "Upload-Offset does not match the upload's current offset."
        )
    if content_length is not None and offset + content_length > session.length:
        raise UploadProblem(
            400, "exceeds_length", "This request would go past the upload's declared length."
        )
    token, dirty = claim(session, offset)
    session_id = session.id
    try:
        if dirty:
            _rekey(session, token, offset)
        append = _Append(session, user, token)
    except BlobNotFound:
        release(session_id, token)
        raise UploadProblem(
            410, "expired", "The partial upload is gone (expired or collected); start again."
        ) from None
    try:
        append.start_writing()
        _stream_body(append, read, content_length)
        if append.offset == append.length:
            append.stop_writing()
            item = append.complete()
        else:
            append.finish_partial()
            append.blob.close()
            release(session_id, token)
            fresh = db.session.get(UploadSession, session_id)
            return AppendResult(fresh.offset, fresh.length, fresh.expires_at)
    except IntakeRefused:
        append.stop_writing(raise_error=False)
        append.blob.abort()
        discard_session(session_id)
        raise
    except BaseException:
        append.stop_writing(raise_error=False)
        append.blob.close()
        abandon(session_id, token)  # it may have sealed past its checkpoint: re-key next time
        raise
    run_post_intake(item.id)
    return AppendResult(item.size, item.size, utcnow(), item)


def _rekey(session: UploadSession, token: str, offset: int) -> None:
    """The previous writer left without releasing: continue under a fresh key (see
    app/vault/tus/rekey.py). If the store had to restart the upload, say where."""
    try:
        rekey_upload(session)
    except BlobNotFound:
        raise
    except BaseException:
        abandon(session.id, token)
        raise
    if session.offset != offset:
        release(session.id, token)
        raise UploadProblem(
            409,
            "offset_mismatch",
            "This upload was interrupted and restarted under a fresh key; ask for its "
            "offset (HEAD) and send from there.",
        )


def _stream_body(append: _Append, read: Callable[[int], bytes], content_length: int | None) -> None:
    """Feed the request body in, asking for checkpoints (see CHECKPOINT_BYTES)."""
    remaining = content_length
    since_checkpoint = 0
    checkpointed_at = time.monotonic()
    while remaining is None or remaining > 0:
        want = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
        try:
            data = read(want)
        except ClientDisconnected:
            break  # keep what arrived; the client will HEAD and continue from there
        if not data:
            break
        if append.offset + len(data) > append.length:
            raise UploadProblem(
                400, "exceeds_length", "The body goes past the upload's declared length."
            )
        append.write(data)
        since_checkpoint += len(data)
        if remaining is not None:
            remaining -= len(data)
        data = b""  # let it go before the next read allocates its successor
        if (
            since_checkpoint >= CHECKPOINT_BYTES
            and append.outstanding is None
            and append.offset < append.length
            and time.monotonic() - checkpointed_at >= CHECKPOINT_SECONDS
        ):
            append.request_checkpoint()
            since_checkpoint = 0
            checkpointed_at = time.monotonic()


def upload_status(session: UploadSession) -> AppendResult:
    """tus HEAD: what arrived durably."""
    check_alive(session)
    return AppendResult(session.offset, session.length, session.expires_at)
