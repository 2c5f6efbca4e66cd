"""An export's two helper threads: one decrypts and hashes evidence ahead, one hashes and writes
the ciphertext behind, so two cores work on the bytes while the bag is written.

ChaCha20-Poly1305 (`cryptography`) and SHA-256 (`hashlib`, over 2 KiB or more) release the GIL,
so the three passes an encrypted export needs (vault decrypt and the manifest's SHA-256 here,
age encryption in the caller's thread, the output's SHA-256 and the write behind) run at
once. Each hand-over is a bounded queue of small batches: at most a few MiB are in flight
whatever the evidence size. Neither thread touches the database or the app; an error in
either is raised in the caller's thread at its next hand-over. Decrypted bytes go only from
the read-ahead thread to the caller, in memory.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

BATCH_BYTES = 256 * 1024  # per hand-over: four 64 KiB chunks, 4,096 hand-overs per GiB
DEPTH = 4  # batches waiting in a queue: about 1 MiB in flight each way
WRITEBACK_EVERY = 32 * 1024 * 1024  # ask the kernel to start writing the output this often
_END = object()
_POLL = 0.1  # seconds between checks that the other side has not given up


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReadAhead:
    """Iterates `chunks` in a thread, feeding each chunk to `digest` there, and hands them over.

    Use as a context manager and iterate it; leaving the block early (an error in the caller)
    stops the thread, and `on_close` (closing the blob's source) runs once it has stopped.
    """

    def __init__(
        self,
        chunks: Iterator[bytes],
        digest: Any,
        on_close: Callable[[], object] | None = None,
    ) -> None:
        self._chunks = chunks
        self._digest = digest
        self._on_close = on_close
        self._queue: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="export-read-ahead", daemon=True)

    def __enter__(self) -> ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        update = self._digest.update
        batch: list[bytes] = []
        held = 0
        try:
            for chunk in self._chunks:
                update(chunk)
                batch.append(chunk)
                held += len(chunk)
                if held >= BATCH_BYTES:
                    if not self._put(batch):
                        return
                    batch, held = [], 0
            if batch and not self._put(batch):
                return
            self._put(_END)
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            self._put(_Failure(error))
        finally:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield from item

    def close(self) -> None:
        if self._thread.ident is not None:
            self._stop.set()
            self._thread.join()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()


class WriteBehind:
    """A write-only sink: what is written goes, in batches, to a thread that feeds each piece to
    `digest` and writes it to `handle`, asking the kernel every 32 MiB to start putting it on
    disk (so the final fsync waits for little). `size` counts the bytes written.

    `finish()` waits for every byte to be written and raises the thread's error if it had one;
    `abandon()` stops the thread and drops what was not written yet.
    """

    def __init__(self, handle: BinaryIO, digest: Any) -> None:
        self.handle = handle
        self.digest = digest
        self.size = 0
        self._batch: list[bytes] = []
        self._held = 0
        self._queue: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-write-behind", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> int:
        self._batch.append(data)
        self._held += len(data)
        self.size += len(data)
        if self._held >= BATCH_BYTES:
            self._hand_over()
        return len(data)

    def _hand_over(self) -> None:
        batch, self._batch, self._held = self._batch, [], 0
        while True:
            if self._error is not None:
                raise self._error
            try:
                self._queue.put(batch, timeout=_POLL)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        fd = self.handle.fileno()
        update = self.digest.update
        since_writeback = 0
        try:
            while not self._stop.is_set():
                try:
                    batch = self._queue.get(timeout=_POLL)
                except queue.Empty:
                    continue
                if batch is _END:
                    return
                for piece in batch:
                    update(piece)
                _write_all(fd, batch)
                since_writeback += sum(len(piece) for piece in batch)
                if since_writeback >= WRITEBACK_EVERY:
                    _start_writeback(fd)
                    since_writeback = 0
        except BaseException as error:  # noqa: BLE001 - raised again in the writer's thread
            self._error = error

    def finish(self) -> None:
        if self._batch:
            self._hand_over()
        while self._thread.is_alive():
            try:
                self._queue.put(_END, timeout=_POLL)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        self._stop.set()
        self._thread.join()
        self._batch = []


def _write_all(fd: int, pieces: list[bytes]) -> None:
    views = [memoryview(piece) for piece in pieces]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if views and written:
            views[0] = views[0][written:]


def _start_writeback(fd: int) -> None:
    """Linux starts writing a file's dirty pages back, without waiting, when told they are not
    needed (and drops those already written): the disk works while the export goes on."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
