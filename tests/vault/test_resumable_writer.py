"""The tus writer thread with the local store: fsync overlaps writes, the record waits for it."""

from __future__ import annotations

import errno
import json
import os
import threading
import time

import pytest
from flask import Flask

from app.vault.blobstore import local
from app.vault.blobstore.base import BlobStoreError
from app.vault.blobstore.local import LocalBlobStore
from app.vault.tus.writer import BlobWriterThread

pytestmark = pytest.mark.nodb

REAL_FSYNC = os.fsync
WAIT = 30.0  # seconds: a generous bound on "eventually", never a measured timing


def wait_until(condition) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class HeldFsync:
    """os.fsync as the local store calls it, held until released; logs what happened when."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.log: list[str] = []
        self.size_on_disk_at_call: list[int] = []

    def __call__(self, fd: int) -> None:
        self.size_on_disk_at_call.append(os.fstat(fd).st_size)
        self.log.append("fsync called")
        self.entered.set()
        assert self.release.wait(WAIT)
        REAL_FSYNC(fd)
        self.log.append("fsync returned")


def test_a_checkpoint_is_recorded_only_after_its_fsync_while_writes_go_on(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path / "blobs")
    blob = store.begin_resumable()
    fsync = HeldFsync()
    monkeypatch.setattr(local.os, "fsync", fsync)
    recorded: list[tuple[str, str]] = []

    def on_durable(marker: str, state: str) -> None:
        fsync.log.append(f"recorded {marker}")
        recorded.append((marker, state))

    writer = BlobWriterThread(Flask(__name__), blob, on_durable)
    try:
        writer.write([b"a" * 1000])
        writer.checkpoint("first")
        writer.write([b"b" * 500, b"c" * 24])
        assert fsync.entered.wait(WAIT)
        # The fsync is stuck on the disk; the ciphertext queued after the checkpoint is
        # still written, and nothing is recorded until the fsync returns.
        assert wait_until(lambda: blob.size == 1524), "writes waited for the fsync"
        assert recorded == []
    finally:
        fsync.release.set()
        writer.stop()

    assert fsync.log == ["fsync called", "fsync returned", "recorded first"]
    # The checkpoint covers exactly what was queued before it, all handed to the kernel
    # before the fsync began (so the fsync made it durable).
    ((marker, state),) = recorded
    assert marker == "first" and json.loads(state)["size"] == 1000
    assert fsync.size_on_disk_at_call[0] >= 1000

    # A crash now: the next request resumes at the recorded checkpoint, later bytes dropped.
    blob.close()
    resumed = store.resume(blob.key, state)
    assert resumed.size == 1000
    resumed.close()
    assert store.partial_path(blob.key).read_bytes() == b"a" * 1000


def test_a_failed_fsync_records_nothing_and_fails_the_request(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path / "blobs")
    blob = store.begin_resumable()

    def broken_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(local.os, "fsync", broken_disk)
    recorded: list[str] = []
    writer = BlobWriterThread(Flask(__name__), blob, lambda marker, state: recorded.append(marker))
    writer.write([b"a" * 1000])
    writer.checkpoint("first")
    with pytest.raises(BlobStoreError) as failure:
        writer.stop()
    assert failure.value.errno == errno.EIO
    assert recorded == []
    blob.abort()
