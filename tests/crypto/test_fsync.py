"""fsync_directory syncs the directory itself (its names) and keeps no descriptor open."""

from __future__ import annotations

import os

import pytest

from app.crypto import fsync
from app.crypto.fsync import fsync_directory


def test_the_directory_itself_is_synced_and_its_descriptor_closed(tmp_path, monkeypatch) -> None:
    (tmp_path / "evidence.age").write_bytes(b"ciphertext")
    synced: list[tuple[int, os.stat_result]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append((fd, os.fstat(fd)))
        real_fsync(fd)

    monkeypatch.setattr(fsync.os, "fsync", recording_fsync)
    fsync_directory(tmp_path)

    ((fd, stat),) = synced
    assert (stat.st_dev, stat.st_ino) == (tmp_path.stat().st_dev, tmp_path.stat().st_ino)
    with pytest.raises(OSError):
        os.fstat(fd)  # closed: a store that publishes millions of blobs must not leak one per blob


def test_a_path_given_as_text_works_too(tmp_path) -> None:
    fsync_directory(str(tmp_path))


def test_a_missing_directory_is_an_error_not_a_silent_success(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        fsync_directory(tmp_path / "gone")
