"""The configured blob store, and the two calls the app uses to write and read evidence bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app

from app.crypto.age import AgeReader, AgeWriter
from app.security.org_keys import org_identities, org_recipients
from app.vault.blobstore.base import BlobStore
from app.vault.blobstore.local import LocalBlobStore
from app.vault.delete_guard import GuardedBlobStore

_EXTENSION = "custos.blob_store"


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str  # hex digest of the plaintext
    size: int  # plaintext bytes


def make_blob_store(config: dict) -> BlobStore:
    """A store from settings: the local folder, or an S3 bucket (credentials: AWS_* env vars)."""
    if config.get("CUSTOS_BLOB_BACKEND", "local") == "s3":
        import boto3
        from botocore.config import Config as BotoConfig

        from app.vault.blobstore.s3 import S3BlobStore
        from app.vault.blobstore.s3_read import DEFAULT_READ_AHEAD

        client = boto3.client(
            "s3",
            endpoint_url=config.get("CUSTOS_S3_ENDPOINT_URL") or None,
            config=BotoConfig(retries={"max_attempts": 5, "mode": "standard"}),
        )
        return S3BlobStore(
            client,
            config["CUSTOS_S3_BUCKET"],
            config.get("CUSTOS_S3_PREFIX", ""),
            read_ahead=config.get("CUSTOS_S3_READ_AHEAD_BYTES", DEFAULT_READ_AHEAD),
            object_lock=bool(config.get("CUSTOS_S3_OBJECT_LOCK")),
        )
    return LocalBlobStore(config["BLOB_DIR"])


def blob_store() -> BlobStore:
    """The app's blob store, built once per app (boto3 clients are thread-safe).

    Its `delete` asks the registered guards first (delete_guard.py): a held blob stays.
    """
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = GuardedBlobStore(make_blob_store(current_app.config))
        current_app.extensions[_EXTENSION] = store
    return store


def write_encrypted(chunks: Iterable[bytes]) -> StoredBlob:
    """Encrypt plaintext chunks to the organisation's recipient into a new committed blob.

    The blob is durable when this returns; the caller then commits the row that names it
    (if that fails, delete the blob or leave it to `blobs gc`). Works on intake-only nodes.
    """
    writer = EncryptedBlobWriter()
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


class EncryptedBlobWriter:
    """write_encrypted as a write-only file: for producers that push their bytes (a PDF
    library saving a document) instead of yielding them. write() pieces, then commit() for the
    StoredBlob, or abort() after a failure (nothing is stored); one 64 KiB chunk is held."""

    def __init__(self) -> None:
        self._pending = blob_store().begin()
        self._digest = hashlib.sha256()
        self._writer = AgeWriter(self._pending.write, org_recipients())

    @property
    def key(self) -> str:
        return self._pending.key

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._digest.update(data)
        self._writer.write(data)
        return memoryview(data).nbytes

    def commit(self) -> StoredBlob:
        self._writer.close()
        self._pending.commit()
        return StoredBlob(self._pending.key, self._digest.hexdigest(), self._writer.plaintext_size)

    def abort(self) -> None:
        self._pending.abort()


def open_plaintext(blob_key: str) -> AgeReader:
    """A seekable reader over a blob's plaintext. Raises ReadsDisabled on an intake-only node."""
    identities = org_identities()
    source = blob_store().open(blob_key)
    try:
        return AgeReader.open(source, identities)
    except BaseException:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        raise
