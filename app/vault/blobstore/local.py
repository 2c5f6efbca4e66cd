"""Blob store on the local filesystem: temp file, fsync, rename into a sharded path, fsync dir.

Layout under the root (BLOB_DIR):

    ab/cd/abcd...          committed objects, sharded by the first two byte pairs of the key
    tmp/<key>.partial      objects being written (one-shot or resumable)
    tmp/<key>.<r>.replace  replacement bytes being written by key rotation

A committed object appears by rename(2), which POSIX makes atomic within one filesystem
(tmp/ is inside the root for that reason): a reader sees no object or the whole object,
and a crash leaves at most a temp file that `blobs gc` removes.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from app.crypto.age import FileSource
from app.crypto.fsync import fsync_directory
from app.vault.blobstore.base import (
    BlobInfo,
    BlobNotFound,
    BlobStoreError,
    is_blob_key,
    new_blob_key,
)
from app.vault.blobstore.writeback import WRITEBACK_BYTES, start_writeback

# Writes of this size reach the kernel; more buys no speed and is held per upload in the
# web worker (docs/performance.md, "A web worker's memory").
_WRITE_BUFFER = 256 * 1024
_PARTIAL_SUFFIX = ".partial"
_REPLACE_SUFFIX = ".replace"


def _mtime(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None)


def _private(path: str, flags: int) -> int:
    """Blob files readable by the service account only (defence in depth: they are ciphertext)."""
    return os.open(path, flags, 0o600)


def _check_key(key: str) -> str:
    # Keys become path components: anything but our own hex keys could escape the root.
    if not is_blob_key(key):
        raise BlobNotFound("no such blob")
    return key


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def _ensure_dirs(self) -> None:
        try:
            self.tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise BlobStoreError(
                f"cannot create the blob folder: {exc.strerror}", exc.errno
            ) from None

    def path_for(self, key: str) -> Path:
        _check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def partial_path(self, key: str) -> Path:
        return self.tmp / f"{_check_key(key)}{_PARTIAL_SUFFIX}"

    # --- writing ---

    def begin(self) -> LocalPendingBlob:
        self._ensure_dirs()
        try:
            return LocalPendingBlob(self, new_blob_key())
        except OSError as exc:  # a read-only or full filesystem refuses the temp file
            raise BlobStoreError(
                f"cannot start a blob in the store: {exc.strerror}", exc.errno
            ) from None

    def begin_resumable(self) -> LocalPendingBlob:
        return self.begin()

    def resume(self, key: str, state: str) -> LocalPendingBlob:
        size = int(json.loads(state)["size"])
        path = self.partial_path(key)
        try:
            file = open(path, "r+b", buffering=_WRITE_BUFFER)  # noqa: SIM115 (owned by the blob)
        except FileNotFoundError:
            raise BlobNotFound("the partial upload is gone (expired or collected)") from None
        # Bytes past the last checkpoint came from a request that never recorded them.
        file.truncate(size)
        file.seek(size)
        return LocalPendingBlob(self, key, file=file, size=size)

    def publish(self, temporary: Path, key: str) -> None:
        """Move a fully written, fsynced temp file to its final place, durably."""
        final = self.path_for(key)
        if not final.parent.is_dir():
            final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_directory(final.parent.parent)
            fsync_directory(self.root)
        os.replace(temporary, final)
        fsync_directory(final.parent)

    def replace(self, key: str, chunks: Iterator[bytes]) -> None:
        final = self.path_for(key)
        if not final.is_file():
            raise BlobNotFound("no such blob")
        self._ensure_dirs()
        temporary = self.tmp / f"{key}.{secrets.token_hex(4)}{_REPLACE_SUFFIX}"
        try:
            with open(temporary, "xb", buffering=_WRITE_BUFFER, opener=_private) as file:
                for chunk in chunks:
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        fsync_directory(final.parent)

    def read_partial(self, key: str, state: str) -> tuple[int, Iterator[bytes]]:
        """The size of a resumable object at the checkpoint that returned `state`, and its
        bytes up to there (the tus re-key after a crash, app/vault/tus/rekey.py)."""
        size = int(json.loads(state)["size"])
        try:
            file = open(self.partial_path(key), "rb")  # noqa: SIM115 (closed by the generator)
        except FileNotFoundError:
            raise BlobNotFound("the partial upload is gone (expired or collected)") from None

        def pieces() -> Iterator[bytes]:
            with file:
                remaining = size
                while remaining:
                    piece = file.read(min(remaining, 1024 * 1024))
                    if not piece:
                        raise BlobStoreError("the partial upload is shorter than its checkpoint")
                    remaining -= len(piece)
                    yield piece

        return size, pieces()

    # --- reading ---

    def open(self, key: str) -> FileSource:
        try:
            return FileSource(self.path_for(key))
        except FileNotFoundError:
            raise BlobNotFound("no such blob") from None

    def exists(self, key: str) -> bool:
        return is_blob_key(key) and self.path_for(key).is_file()

    # --- housekeeping ---

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_directory(path.parent)

    def list(self) -> Iterator[BlobInfo]:
        if not self.root.is_dir():
            return
        for first in sorted(os.scandir(self.root), key=lambda e: e.name):
            if first.name == "tmp" or len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if not second.is_dir():
                    continue
                for entry in sorted(os.scandir(second.path), key=lambda e: e.name):
                    if is_blob_key(entry.name) and entry.is_file():
                        stat = entry.stat()
                        yield BlobInfo(entry.name, stat.st_size, _mtime(stat))

    def list_incomplete(self) -> Iterator[BlobInfo]:
        pieces: dict[str, list[os.stat_result]] = {}
        if self.tmp.is_dir():
            for entry in os.scandir(self.tmp):
                key = entry.name.split(".", 1)[0]
                if is_blob_key(key) and entry.is_file():
                    pieces.setdefault(key, []).append(entry.stat())
        for key, stats in sorted(pieces.items()):
            newest = max(stats, key=lambda s: s.st_mtime)
            yield BlobInfo(key, sum(s.st_size for s in stats), _mtime(newest))

    def delete_incomplete(self, key: str) -> None:
        _check_key(key)
        if not self.tmp.is_dir():
            return
        for entry in os.scandir(self.tmp):
            if entry.name.split(".", 1)[0] == key:
                Path(entry.path).unlink(missing_ok=True)

    def check_writable(self) -> None:
        self._ensure_dirs()
        probe = self.tmp / f"probe-{secrets.token_hex(4)}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BlobStoreError(
                f"the blob folder is not writable: {exc.strerror}", exc.errno
            ) from None


class LocalPendingBlob:
    """One object being written to tmp/<key>.partial; also serves as the resumable form."""

    def __init__(
        self,
        store: LocalBlobStore,
        key: str,
        file: BinaryIO | None = None,
        size: int = 0,
    ) -> None:
        self.key = key
        self.size = size
        self._store = store
        self._path = store.partial_path(key)
        if file is None:
            # O_EXCL: a fresh random key never collides; if it did, we must not share a file.
            file = open(self._path, "xb", buffering=_WRITE_BUFFER, opener=_private)  # noqa: SIM115
        self._file: BinaryIO | None = file
        self._done = False
        self._writeback_from = size  # bytes before this offset are on their way to disk

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._file is None:
            raise BlobStoreError("write to a finished blob")
        try:
            self._file.write(data)
        except OSError as exc:
            raise BlobStoreError(
                f"writing to the blob store failed: {exc.strerror}", exc.errno
            ) from None
        self.size += memoryview(data).nbytes

    def write_many(self, pieces: list[bytes]) -> None:
        """Append several pieces with one writev(): no copy into the file's buffer, and the
        GIL released for all of it (the writer thread's batches, app/vault/tus/writer.py)."""
        if self._file is None:
            raise BlobStoreError("write to a finished blob")
        views = [memoryview(piece) for piece in pieces if piece]
        try:
            self._file.flush()
            fd = self._file.fileno()
            while views:
                written = os.writev(fd, views)
                self.size += written
                while views and written >= views[0].nbytes:
                    written -= views.pop(0).nbytes
                if written:
                    views[0] = views[0][written:]
            if self.size - self._writeback_from >= WRITEBACK_BYTES:
                start_writeback(fd, self._writeback_from, self.size - self._writeback_from)
                self._writeback_from = self.size
        except OSError as exc:
            raise BlobStoreError(
                f"writing to the blob store failed: {exc.strerror}", exc.errno
            ) from None

    def _sync(self) -> None:
        assert self._file is not None
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise BlobStoreError(
                f"writing to the blob store failed: {exc.strerror}", exc.errno
            ) from None

    def checkpoint(self) -> str:
        self._sync()
        return json.dumps({"size": self.size})

    def capture(self) -> Callable[[], str]:
        """A checkpoint in two steps, so writes need not wait for the disk.

        This call hands every byte written so far to the kernel and takes the state as of
        now; the returned function makes those bytes durable (fsync) and returns that
        state. It may run on another thread while writes to this blob go on: fsync covers
        every byte written to the file before it was called (and maybe more, which resume()
        truncates away). The blob must stay open until it returns.
        """
        assert self._file is not None
        try:
            self._file.flush()
        except OSError as exc:
            raise BlobStoreError(
                f"writing to the blob store failed: {exc.strerror}", exc.errno
            ) from None
        fd = self._file.fileno()
        state = json.dumps({"size": self.size})

        def make_durable() -> str:
            try:
                os.fsync(fd)
            except OSError as exc:
                raise BlobStoreError(
                    f"writing to the blob store failed: {exc.strerror}", exc.errno
                ) from None
            return state

        return make_durable

    def commit(self) -> None:
        if self._done:
            raise BlobStoreError("blob already committed or aborted")
        self._sync()
        self._close_file()
        try:
            self._store.publish(self._path, self.key)
        except OSError as exc:
            raise BlobStoreError(f"storing the blob failed: {exc.strerror}", exc.errno) from None
        self._done = True

    def abort(self) -> None:
        self._close_file()
        self._done = True
        try:
            self._store.delete_incomplete(self.key)
        except OSError:
            # Abandoning a write must not hide why it failed; `blobs gc` removes the rest.
            return

    def close(self) -> None:
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError:
                # Only reached while abandoning the write: the partial file is discarded or
                # truncated back to the last checkpoint, so unflushed bytes do not matter.
                return
