"""Incremental age encryption to any sink, holding at most one 64 KiB chunk in memory."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import BinaryIO, cast

from .header import FILE_KEY_SIZE, new_file_key, seal_header
from .keys import Recipient
from .stream import NONCE_SIZE, StreamSealer, payload_key

Emit = Callable[[bytes], object]
Sink = Emit | BinaryIO


class AgeWriter:
    """Encrypts a plaintext written in pieces of any size into an age v1 file.

    The header goes out with the first write or close. If the writer is abandoned
    (or its `with` block raises) no final chunk is written, so readers see the file
    as truncated rather than as a complete shorter one.
    """

    def __init__(
        self,
        sink: Sink,
        recipients: Sequence[Recipient],
        file_key: bytes | None = None,
    ) -> None:
        if file_key is not None and len(file_key) != FILE_KEY_SIZE:
            raise ValueError("the age file key is 16 bytes")
        file_key = file_key if file_key is not None else new_file_key()
        # A file object (or anything with .write) is written to; otherwise sink is the callable.
        write = getattr(sink, "write", None)
        self._emit: Callable[[bytes], object] = write if callable(write) else cast(Emit, sink)
        self._header = seal_header(file_key, recipients)
        nonce = os.urandom(NONCE_SIZE)  # fresh per file, so the payload key never repeats
        self._header += nonce
        self._sealer = StreamSealer(payload_key(file_key, nonce), self._emit_counted)
        self._started = False
        self._closed = False
        self.plaintext_size = 0
        self.ciphertext_size = 0

    def _emit_counted(self, data: bytes) -> None:
        self.ciphertext_size += len(data)
        self._emit(data)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._emit_counted(self._header)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ValueError("write to a closed AgeWriter")
        self._start()
        self._sealer.write(data)
        self.plaintext_size += memoryview(data).nbytes

    def close(self) -> None:
        """Write the final chunk; an empty plaintext still gets its one empty final chunk."""
        if self._closed:
            return
        self._start()
        self._sealer.close()
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def header_size(self) -> int:
        """Bytes of header plus payload nonce that precede the first chunk."""
        return len(self._header)

    def __enter__(self) -> AgeWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
