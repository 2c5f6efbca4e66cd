"""A tus upload resumed after its writer died continues under a fresh file key, never the old.

A PATCH that did not end cleanly (its process killed, its lease lost, a store or database
error) may have sealed chunks past the last recorded checkpoint with the upload's payload key
and chunk counters, and those ciphertexts may survive somewhere (the partial file before
truncation, a disk snapshot, a backup). Resuming with the same key would seal whatever the
client now sends at the same counters: if those bytes differ, one key and nonce would
encrypt two plaintexts (ChaCha20-Poly1305 then leaks their XOR and loses integrity).

So such a resume first re-encrypts what was durable under a fresh file key and payload nonce
into a new partial blob, switches the session to it, and only then accepts bytes. A store
that cannot read a partial object back (S3 multipart parts cannot be read before completion)
restarts the upload at offset 0 under a fresh key instead: the client's HEAD then says 0.
A PATCH that ended cleanly sealed nothing past its checkpoint and resumes as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from app.crypto.age.stream import ENCRYPTED_CHUNK_SIZE, NONCE_SIZE, PayloadCipher, payload_key
from app.extensions import db
from app.security.org_keys import org_recipients
from app.timeutil import utcnow
from app.vault.models import UploadSession
from app.vault.storage import blob_store
from app.vault.tus.age_stream import ResumableEncryptor
from app.vault.tus.hashes import hash_cache


def _durable_plaintext(
    old: ResumableEncryptor, size: int, pieces: Iterator[bytes]
) -> Iterator[bytes]:
    """The plaintext of the old stream's sealed chunks, read back from its partial blob:
    `size` bytes of header, payload nonce and `old.counter` full chunks, in that order."""
    cipher = PayloadCipher(payload_key(old.file_key, old.nonce))
    skip = size - old.counter * ENCRYPTED_CHUNK_SIZE
    if skip <= NONCE_SIZE:
        raise ValueError("the partial upload does not match its recorded stream state")
    buffer = bytearray()
    counter = 0
    for piece in pieces:
        if skip:
            dropped = min(skip, len(piece))
            piece, skip = piece[dropped:], skip - dropped
        buffer += piece
        while len(buffer) >= ENCRYPTED_CHUNK_SIZE:
            yield cipher.open(counter, False, bytes(buffer[:ENCRYPTED_CHUNK_SIZE]))
            del buffer[:ENCRYPTED_CHUNK_SIZE]
            counter += 1
    if buffer or counter != old.counter:
        raise ValueError("the partial upload does not match its recorded stream state")


def rekey_upload(session: UploadSession) -> None:
    """Move `session` to a fresh file key and payload nonce, keeping its offset if the store
    can read its partial object back, else restarting it at 0. Commits."""
    store = blob_store()
    state = json.loads(session.stream_state or "{}")
    old = ResumableEncryptor.from_state(state)
    read_partial = getattr(store, "read_partial", None)
    new, header = ResumableEncryptor.new(org_recipients())
    blob = store.begin_resumable()
    try:
        blob.write(header)
        if read_partial is not None:
            size, pieces = read_partial(session.spool_key, state["blob"])
            plaintext = _durable_plaintext(old, size, pieces)
            for chunk in plaintext:
                new.write(chunk, blob.write)
            new.write(bytes(old.tail), blob.write)
            offset = session.offset
        else:
            offset = 0
        blob_state = blob.checkpoint()
        blob.close()
    except BaseException:
        blob.abort()
        raise
    old_key = session.spool_key
    session.spool_key = blob.key
    session.stream_state = json.dumps(new.state(blob_state))
    session.chunk_count = new.counter
    session.offset = offset
    session.updated_at = utcnow()
    db.session.commit()
    if offset == 0:
        hash_cache().put(session.id, 0, hashlib.sha256())
    if old_key:
        store.delete_incomplete(old_key)
