"""A resumable upload's blob writes and checkpoints, on threads of their own.

The request thread receives, hashes and encrypts; the writer thread writes the ciphertext
and takes each checkpoint; a sync thread makes it durable and then records it (on_durable,
in an app context of its own, so with a database session of its own). The request never
waits on the disk, and writes go on while a checkpoint's fsync runs.

Work is done in the order it was queued, so a checkpoint covers exactly the ciphertext
queued before it. A blob that can split a checkpoint (capture(): "state as of now", then
"make it durable", as the local store's) is synced on the sync thread while the writer
thread keeps writing; any other blob (S3) checkpoints on the writer thread. Either way a
checkpoint is recorded only once the bytes it covers are durable, at most one is being
made durable at a time, and they are recorded in order: the recorded offset never runs
ahead of the bytes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from app.vault.blobstore.base import ResumableBlob

# Ciphertext batches (a few 64 KiB chunks each) allowed to wait for the disk: bounds memory.
# Two keep the writer busy while the request thread seals the next; a disk that stalls longer
# (the kernel throttling a writer with too many dirty pages) stalls any short queue alike.
MAX_QUEUED_BATCHES = 2
# Sealed 64 KiB chunks a writer hands over at a time. A blob with write_many (the local store)
# takes each batch in one writev() with the GIL released, where its 64 KiB pieces were copied
# into the file's buffer holding the GIL, one call each.
WRITE_BATCH_CHUNKS = 4

# A checkpoint split in two (LocalPendingBlob.capture): this returns the durable step.
Capture = Callable[[], Callable[[], str]]

_WRITE = "write"
_CHECKPOINT = "checkpoint"
_STOP = "stop"


class BlobWriterThread:
    """Owns `blob` from construction until stop() returns; nobody else may touch it meanwhile.

    on_durable(marker, blob_state) runs in an app context once a checkpoint is durable (on
    the sync thread, or on the writer thread for a blob without capture()). The first
    error (store or database) stops all further work and is raised in the request thread
    by its next call.
    """

    def __init__(
        self, app: Flask, blob: ResumableBlob, on_durable: Callable[[Any, str], None]
    ) -> None:
        self._app = app
        self._blob = blob
        self._on_durable = on_durable
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=MAX_QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._stopped = False
        self._capture: Capture | None = getattr(blob, "capture", None)
        self._write_many: Callable[[list[bytes]], None] | None = getattr(blob, "write_many", None)
        self._batch: list[bytes] = []
        self._syncing: threading.Thread | None = None
        self._thread = threading.Thread(target=self._run, name="custos-tus-writer", daemon=True)
        self._thread.start()

    def write(self, batch: list[bytes]) -> None:
        """Queue ciphertext to append; blocks while MAX_QUEUED_BATCHES are waiting."""
        self.raise_error()
        if batch:
            self._queue.put((_WRITE, batch))

    def emit(self, sealed: bytes) -> None:
        """Take one sealed chunk; the chunks are queued WRITE_BATCH_CHUNKS at a time."""
        self._batch.append(sealed)
        if len(self._batch) >= WRITE_BATCH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        """Queue the chunks taken by emit() and not yet queued."""
        batch, self._batch = self._batch, []
        self.write(batch)

    def checkpoint(self, marker: Any) -> None:
        """Queue a checkpoint of everything queued so far; on_durable(marker, ...) follows."""
        self.raise_error()
        self._queue.put((_CHECKPOINT, marker))

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def stop(self, raise_error: bool = True) -> None:
        """Wait until everything queued is done; the blob is the caller's again."""
        if not self._stopped:
            self._stopped = True
            self._queue.put((_STOP, None))
            self._thread.join()
        if raise_error:
            self.raise_error()

    def _run(self) -> None:
        with self._app.app_context():
            try:
                while True:
                    kind, payload = self._queue.get()
                    if kind == _STOP:
                        return
                    if self._error is not None:
                        continue  # keep draining: the request thread never blocks on the queue
                    try:
                        if kind == _WRITE:
                            self._write(payload)
                        else:
                            self._checkpoint(payload)
                    except BaseException as exc:  # noqa: BLE001 (handed to the request thread)
                        self._error = exc
            finally:
                # The blob goes back to the caller (who may close it) only once no fsync runs.
                self._wait_for_sync()

    def _write(self, batch: list[bytes]) -> None:
        if self._write_many is not None:
            self._write_many(batch)
            return
        for piece in batch:
            self._blob.write(piece)

    def _checkpoint(self, marker: Any) -> None:
        if self._capture is None:
            self._on_durable(marker, self._blob.checkpoint())
            return
        # One checkpoint made durable at a time, recorded in the order they were taken.
        self._wait_for_sync()
        if self._error is not None:
            return
        make_durable = self._capture()
        self._syncing = threading.Thread(
            target=self._sync, args=(marker, make_durable), name="custos-tus-sync", daemon=True
        )
        self._syncing.start()

    def _sync(self, marker: Any, make_durable: Callable[[], str]) -> None:
        try:
            with self._app.app_context():
                self._on_durable(marker, make_durable())
        except BaseException as exc:  # noqa: BLE001 (handed to the request thread)
            if self._error is None:
                self._error = exc

    def _wait_for_sync(self) -> None:
        if self._syncing is not None:
            self._syncing.join()
            self._syncing = None
