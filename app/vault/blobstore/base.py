"""The small interface every blob store backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.vault.age import RandomAccessSource


class BlobStoreError(RuntimeError):
    """The store could not do what was asked (full, read-only, unreachable); told to users."""


class BlobNotFound(BlobStoreError):
    pass


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


class BlobStore(Protocol):
    def begin(self) -> PendingBlob:
        """Start writing a new object under a fresh random key."""

    def open(self, key: str) -> RandomAccessSource:
        """Random access to a committed object (raises BlobNotFound)."""

    def replace(self, key: str, chunks: Iterator[bytes]) -> None:
        """Atomically replace a committed object's bytes (used by key rotation)."""

    def delete(self, key: str) -> None: ...

    def list(self) -> Iterator[BlobInfo]:
        """Every committed object, for garbage collection and backups."""

    def list_incomplete(self) -> Iterator[BlobInfo]:
        """Abandoned partial writes (temp files, unfinished multipart uploads)."""

    def delete_incomplete(self, key: str) -> None: ...

    def check_writable(self) -> None:
        """Raise BlobStoreError if writes would fail now (for /readyz)."""
