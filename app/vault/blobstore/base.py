"""The small interface every blob store backend implements."""

from __future__ import annotations

import errno as _errno
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.crypto.age import RandomAccessSource


class BlobStoreError(RuntimeError):
    """The store could not do what was asked (full, read-only, unreachable); told to users.

    `errno` is the operating system's error number when there is one (ENOSPC, EDQUOT,
    EROFS, ...): app/errors.py answers 507 for a full store and 503 otherwise.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno

    @property
    def full(self) -> bool:
        return self.errno in _FULL_ERRNOS


_FULL_ERRNOS = frozenset({_errno.ENOSPC, _errno.EDQUOT, _errno.EFBIG})


class BlobNotFound(BlobStoreError):
    pass


def new_blob_key() -> str:
    """128 random bits in hex: unguessable, and safe as a file name or an object key."""
    return secrets.token_hex(16)


def is_blob_key(key: str) -> bool:
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key)


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    modified: datetime  # naive UTC


class PendingBlob(Protocol):
    """An object being written. Nothing is visible under its key until commit() returns."""

    key: str

    def write(self, data: bytes) -> None: ...

    def commit(self) -> None:
        """Make the object durable and visible (fsync + rename / multipart completion)."""

    def abort(self) -> None:
        """Discard everything written; safe to call twice or after a failed commit."""


class ResumableBlob(Protocol):
    """An object written across several requests (a tus upload); resumable after a crash.

    Everything written before the last checkpoint() survives the process; anything after
    it is discarded by BlobStore.resume(). Nothing is visible under `key` until commit().
    """

    key: str
    size: int  # bytes written so far (durable up to the last checkpoint)

    def write(self, data: bytes) -> None: ...

    def checkpoint(self) -> str:
        """Make everything written so far durable; return the state to resume from (JSON)."""

    def commit(self) -> None:
        """Make the object durable and visible; its incomplete pieces are removed."""

    def abort(self) -> None:
        """Discard the object and every incomplete piece of it."""

    def close(self) -> None:
        """Release resources at the end of a request, keeping what was checkpointed."""


class BlobStore(Protocol):
    def begin(self) -> PendingBlob:
        """Start writing a new object under a fresh random key."""

    def begin_resumable(self) -> ResumableBlob:
        """Start an object that may be written by several requests, under a fresh key."""

    def resume(self, key: str, state: str) -> ResumableBlob:
        """Reopen a resumable object at the checkpoint that returned `state`."""

    def open(self, key: str) -> RandomAccessSource:
        """Random access to a committed object (raises BlobNotFound)."""

    def replace(self, key: str, chunks: Iterator[bytes]) -> None:
        """Atomically replace a committed object's bytes (used by key rotation)."""

    def delete(self, key: str) -> None:
        """Remove a committed object (no error if it is already gone)."""

    def list(self) -> Iterator[BlobInfo]:
        """Every committed object, for garbage collection and backups."""

    def list_incomplete(self) -> Iterator[BlobInfo]:
        """Partial writes, one entry per blob key (temp files, unfinished multipart uploads).

        `modified` is the newest piece's time, so a resumable upload still being written
        is not mistaken for an abandoned one.
        """

    def delete_incomplete(self, key: str) -> None:
        """Remove every partial piece written for `key` (never the committed object)."""

    def check_writable(self) -> None:
        """Raise BlobStoreError if writes would fail now (for /readyz)."""
