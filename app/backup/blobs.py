"""Blobs in and out of a backup exactly as stored: age ciphertext, never decrypted here.

Reading uses the store's ranged reads, a chunk at a time. Writing must keep each blob's key
(the rows name blobs by key), which the store interface's `begin()` does not offer, so
`put_blob` writes under a given key with each backend's own atomic commit: a temp file
renamed into place (local), a single PUT or a completed multipart upload (S3).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator

from app.vault.blobstore.base import BlobNotFound, BlobStore, BlobStoreError
from app.vault.blobstore.local import LocalBlobStore
from app.vault.blobstore.s3 import S3BlobStore, S3PendingBlob
from app.vault.delete_guard import unguarded

CHUNK = 1024 * 1024


class BlobMismatch(RuntimeError):
    """A blob's bytes are not what the manifest recorded."""


def read_blob(store: BlobStore, key: str, size: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The stored bytes of one blob, in chunks (constant memory whatever its size)."""
    source = store.open(key)
    try:
        if source.size != size:
            raise BlobMismatch(f"blob {key} is {source.size} bytes now, {size} when listed")
        offset = 0
        while offset < size:
            data = source.read_at(offset, min(chunk, size - offset))
            if not data:
                raise BlobStoreError(f"blob {key} ended early at byte {offset}")
            offset += len(data)
            yield data
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def stored_sha256(store: BlobStore, key: str) -> tuple[int, str] | None:
    """(size, SHA-256) of a blob as stored, or None if the store has no such blob."""
    try:
        source = store.open(key)
    except BlobNotFound:
        return None
    size = source.size
    close = getattr(source, "close", None)
    if close is not None:
        close()
    digest = hashlib.sha256()
    for data in read_blob(store, key, size):
        digest.update(data)
    return size, digest.hexdigest()


def put_blob(store: BlobStore, key: str, chunks: Iterable[bytes], sha256: str) -> None:
    """Store `chunks` under `key`, committing only if they hash to `sha256`.

    A mismatch raises BlobMismatch with nothing committed under the key.
    """
    store = unguarded(store)  # writing is never guarded; the backend's type decides how
    if isinstance(store, LocalBlobStore):
        _put_local(store, key, chunks, sha256)
    elif isinstance(store, S3BlobStore):
        _put_s3(store, key, chunks, sha256)
    else:
        raise BlobStoreError(f"restoring into a {type(store).__name__} is not supported")


def _put_local(store: LocalBlobStore, key: str, chunks: Iterable[bytes], sha256: str) -> None:
    store.path_for(key)  # refuses anything but our own hex keys
    store.tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = store.tmp / f"{key}.{secrets.token_hex(4)}.restore"
    digest = hashlib.sha256()
    try:
        with open(temporary, "xb", opener=lambda p, f: os.open(p, f, 0o600)) as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if digest.hexdigest() != sha256:
            raise BlobMismatch(f"blob {key}: SHA-256 differs from the manifest")
        store.publish(temporary, key)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _put_s3(store: S3BlobStore, key: str, chunks: Iterable[bytes], sha256: str) -> None:
    pending = S3PendingBlob(store, key)
    digest = hashlib.sha256()
    try:
        for chunk in chunks:
            digest.update(chunk)
            pending.write(chunk)
        if digest.hexdigest() != sha256:
            raise BlobMismatch(f"blob {key}: SHA-256 differs from the manifest")
        pending.commit()
    except BaseException:
        pending.abort()
        raise
