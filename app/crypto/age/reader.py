"""Seekable age decryption: range reads that decrypt only the chunks they cover."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence

from .errors import HeaderError, PayloadError
from .header import Header, open_header, read_source_header
from .keys import Identity
from .source import RandomAccessSource
from .stream import (
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    NONCE_SIZE,
    PayloadCipher,
    PayloadLayout,
    payload_key,
)

# iter_all reads this many chunks per source read: fewer round trips to an object store.
_ITER_ALL_BUFFER_CHUNKS = 16


def _payload_nonce(source: RandomAccessSource, header: Header, prefix: bytes) -> bytes:
    end = header.length + NONCE_SIZE
    nonce = prefix[header.length : end] if len(prefix) >= end else b""
    if not nonce:
        nonce = source.read_at(header.length, NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        # The age test vectors class a missing or short nonce as a header failure.
        raise HeaderError("file ends before the payload nonce")
    return nonce


class AgeReader:
    """Decrypts any plaintext range of an age file held in a RandomAccessSource.

    open() authenticates the final chunk up front (spec: seeking relative to the end
    must first verify the last chunk), so a file cut at a chunk boundary or with
    data appended fails at open, not after a player has shown most of a video.
    """

    def __init__(
        self,
        source: RandomAccessSource,
        cipher: PayloadCipher,
        payload_offset: int,
        layout: PayloadLayout,
    ) -> None:
        # Use AgeReader.open(): constructing directly skips header and final-chunk checks.
        self.source = source
        self.payload_offset = payload_offset
        self.plaintext_size = layout.plaintext_size
        self.chunk_count = layout.chunk_count
        self._cipher = cipher
        self._layout = layout
        self._chunks_offset = payload_offset + NONCE_SIZE
        self._last_plaintext = b""

    @classmethod
    def open(cls, source: RandomAccessSource, identities: Sequence[Identity]) -> AgeReader:
        """Parse the header, unwrap the file key, check the MAC and the final chunk."""
        header, prefix = read_source_header(source)
        file_key = open_header(header, identities)
        nonce = _payload_nonce(source, header, prefix)
        layout = PayloadLayout.from_ciphertext_size(source.size - header.length - NONCE_SIZE)
        reader = cls(source, PayloadCipher(payload_key(file_key, nonce)), header.length, layout)
        reader._verify_final_chunk()
        return reader

    def _verify_final_chunk(self) -> None:
        index = self.chunk_count - 1
        offset = self._chunks_offset + index * ENCRYPTED_CHUNK_SIZE
        ciphertext = self._read_exact(offset, self._layout.last_chunk_size)
        # Kept: tail reads (an MP4 index, a PDF trailer) then cost no second fetch.
        self._last_plaintext = self._cipher.open(index, True, ciphertext)

    def _read_exact(self, offset: int, length: int) -> bytes:
        data = self.source.read_at(offset, length)
        if len(data) != length:
            raise PayloadError("source is shorter than when it was opened")
        return data

    def _iter_chunks(self, first: int, count: int) -> Iterator[bytes]:
        """Plaintext of chunks [first, first + count), fetched with one source read."""
        stop = min(first + count, self.chunk_count)
        last_index = self.chunk_count - 1
        read_stop = min(stop, last_index)  # the final chunk's plaintext is already held
        if read_stop > first:
            offset = self._chunks_offset + first * ENCRYPTED_CHUNK_SIZE
            view = memoryview(self._read_exact(offset, (read_stop - first) * ENCRYPTED_CHUNK_SIZE))
            for k, index in enumerate(range(first, read_stop)):
                start = k * ENCRYPTED_CHUNK_SIZE
                yield self._cipher.open(index, False, view[start : start + ENCRYPTED_CHUNK_SIZE])
        if stop > last_index:
            yield self._last_plaintext

    def decrypt_chunk(self, index: int) -> bytes:
        """The authenticated plaintext of one chunk."""
        if not 0 <= index < self.chunk_count:
            raise IndexError("chunk index out of range")
        return next(self._iter_chunks(index, 1))

    def iter_range(self, start: int, end: int, buffer_chunks: int = 1) -> Iterator[bytes]:
        """Yield plaintext bytes [start, end), clamped to the plaintext size.

        Only the chunks covering the range are read and decrypted, buffer_chunks of
        them per source read, so the cost does not depend on where the range lies.
        """
        if start < 0 or end < 0:
            raise ValueError("range offsets must not be negative")
        if buffer_chunks < 1:
            raise ValueError("buffer_chunks must be at least 1")
        end = min(end, self.plaintext_size)
        if start >= end:
            return
        first = start // CHUNK_SIZE
        last = (end - 1) // CHUNK_SIZE
        index = first
        while index <= last:
            count = min(buffer_chunks, last - index + 1)
            for plaintext in self._iter_chunks(index, count):
                base = index * CHUNK_SIZE
                lo = max(start - base, 0)
                hi = min(end - base, len(plaintext))
                yield plaintext if lo == 0 and hi == len(plaintext) else plaintext[lo:hi]
                index += 1

    def iter_all(self) -> Iterator[bytes]:
        return self.iter_range(0, self.plaintext_size, buffer_chunks=_ITER_ALL_BUFFER_CHUNKS)

    def as_file(self) -> AgePlaintextIO:
        """A read-only, seekable file object over the plaintext (for Pillow, ffprobe pipes)."""
        return AgePlaintextIO(self)


class AgePlaintextIO(io.RawIOBase):
    """Seekable raw file over an AgeReader's plaintext; holds one decrypted chunk."""

    def __init__(self, reader: AgeReader) -> None:
        super().__init__()
        self._reader = reader
        self._pos = 0
        self._chunk_index = -1
        self._chunk = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._checkClosed()
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._checkClosed()
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self._pos + offset
        elif whence == os.SEEK_END:
            target = self._reader.plaintext_size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        self._pos = target
        return target

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._checkClosed()
        if self._pos >= self._reader.plaintext_size:
            return 0
        index = self._pos // CHUNK_SIZE
        if index != self._chunk_index:
            self._chunk = self._reader.decrypt_chunk(index)
            self._chunk_index = index
        offset = self._pos - index * CHUNK_SIZE
        out = memoryview(buffer).cast("B")
        count = min(len(out), len(self._chunk) - offset)
        out[:count] = self._chunk[offset : offset + count]
        self._pos += count
        return count

    def readall(self) -> bytes:
        self._checkClosed()
        data = b"".join(
            self._reader.iter_range(self._pos, self._reader.plaintext_size, buffer_chunks=16)
        )
        self._pos = max(self._pos, self._reader.plaintext_size)
        return data
