"""Random-access ciphertext sources that readers decrypt from: a local file or bytes in memory."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class RandomAccessSource(Protocol):
    """Bytes of known size read by offset: a local file, or an object store's ranged GET."""

    size: int

    def read_at(self, offset: int, length: int) -> bytes:
        """Bytes [offset, offset + length), fewer only where the source ends."""
        ...


class BytesSource:
    """A RandomAccessSource over bytes already in memory."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = memoryview(data).cast("B")
        self.size = len(self._data)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("negative offset or length")
        return bytes(self._data[offset : offset + length])


class FileSource:
    """A RandomAccessSource over a path (opened and owned here) or a seekable binary file.

    The size is taken once, at construction: evidence blobs are immutable once written.
    """

    def __init__(self, file: str | os.PathLike[str] | BinaryIO) -> None:
        self._lock = threading.Lock()
        if isinstance(file, str | os.PathLike):
            self._file: BinaryIO = open(Path(file), "rb")  # closed by close()
            self._owned = True
        else:
            self._file = file
            self._owned = False
        # pread needs no shared file position, so concurrent range reads need no lock;
        # only used on files we opened, whose buffer cannot hold unflushed writes.
        self._fd = self._file.fileno() if self._owned and hasattr(os, "pread") else None
        with self._lock:
            self.size = self._file.seek(0, os.SEEK_END)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("negative offset or length")
        if self._fd is not None:
            parts = []
            while length > 0:
                part = os.pread(self._fd, length, offset)
                if not part:
                    break
                parts.append(part)
                offset += len(part)
                length -= len(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        with self._lock:
            self._file.seek(offset)
            return _read_full(self._file, length)

    def close(self) -> None:
        if self._owned:
            self._file.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_full(file: BinaryIO, length: int) -> bytes:
    data = file.read(length)
    if len(data) in (0, length):
        return data
    parts = [data]
    remaining = length - len(data)
    while remaining:
        part = file.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)
