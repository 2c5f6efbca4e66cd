"""A resumable upload's blob writes and checkpoints, on a thread of their own.

The request thread receives, hashes and encrypts; this thread writes the ciphertext, makes
it durable (ResumableBlob.checkpoint: fsync, or an S3 part and tail) and then records the
checkpoint (on_durable, in an app context of its own, so with a database session of its
own), so the request neither waits on the disk nor delays a checkpoint until its next read
returns. Work is done in the order it was queued, so a checkpoint covers exactly the
ciphertext queued before it, and it is recorded only once durable: the recorded offset never
runs ahead of the bytes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from app.vault.blobstore.base import ResumableBlob

# Ciphertext batches (a few 64 KiB chunks each) allowed to wait for the disk: bounds memory.
MAX_QUEUED_BATCHES = 4

_WRITE = "write"
_CHECKPOINT = "checkpoint"
_STOP = "stop"


class BlobWriterThread:
    """Owns `blob` from construction until stop() returns; nobody else may touch it meanwhile.

    on_durable(marker, blob_state) runs on this thread, in an app context, after each
    checkpoint. The first error (store or database) stops all further work and is raised
    in the request thread by its next call.
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
        self._thread = threading.Thread(target=self._run, name="custos-tus-writer", daemon=True)
        self._thread.start()

    def write(self, batch: list[bytes]) -> None:
        """Queue ciphertext to append; blocks while MAX_QUEUED_BATCHES are waiting."""
        self.raise_error()
        if batch:
            self._queue.put((_WRITE, batch))

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
            while True:
                kind, payload = self._queue.get()
                if kind == _STOP:
                    return
                if self._error is not None:
                    continue  # keep draining so the request thread never blocks on a full queue
                try:
                    if kind == _WRITE:
                        for piece in payload:
                            self._blob.write(piece)
                    else:
                        self._on_durable(payload, self._blob.checkpoint())
                except BaseException as exc:  # noqa: BLE001 (handed to the request thread)
                    self._error = exc
