"""The age payload: STREAM chunking over ChaCha20-Poly1305 (C2SP age, Payload)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .errors import PayloadError
from .header import hkdf_sha256

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
NONCE_SIZE = 16  # the payload nonce that precedes the first chunk
_COUNTER_BYTES = 11
_MAX_COUNTER = 1 << (8 * _COUNTER_BYTES)


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload")."""
    return hkdf_sha256(file_key, nonce, b"payload")


def chunk_nonce(counter: int, last: bool) -> bytes:
    """11-byte big-endian chunk counter, then 0x01 on the final chunk and 0x00 before it."""
    if not 0 <= counter < _MAX_COUNTER:
        raise PayloadError("STREAM chunk counter out of range")
    return counter.to_bytes(_COUNTER_BYTES, "big") + (b"\x01" if last else b"\x00")


class PayloadCipher:
    """One ChaCha20-Poly1305 object per file, sealing and opening chunks by index."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = ChaCha20Poly1305(key)

    def seal(self, counter: int, last: bool, plaintext: bytes | memoryview) -> bytes:
        return self._aead.encrypt(chunk_nonce(counter, last), plaintext, None)

    def open(self, counter: int, last: bool, ciphertext: bytes | memoryview) -> bytes:
        """Plaintext only after the tag verifies; PayloadError otherwise."""
        try:
            return self._aead.decrypt(chunk_nonce(counter, last), ciphertext, None)
        except InvalidTag:
            raise PayloadError(f"payload chunk {counter} failed authentication") from None


class StreamSealer:
    """Seals plaintext into chunks as it arrives, holding at most one chunk in memory.

    A full chunk is held back until more data arrives: only when the stream is closed
    do we know which chunk is last and must carry the final flag. So the final chunk
    is short or full, and empty only when the whole payload is empty (spec: Payload).
    """

    __slots__ = ("_cipher", "_emit", "_pending", "_held", "_counter", "_closed")

    def __init__(self, key: bytes, emit: Callable[[bytes], object]) -> None:
        self._cipher = PayloadCipher(key)
        self._emit = emit
        self._pending = bytearray()
        # A whole chunk of the caller's immutable bytes, kept by reference instead of copied.
        self._held: memoryview | None = None
        self._counter = 0
        self._closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ValueError("write to a closed age stream")
        view = memoryview(data).cast("B")
        size = len(view)
        if not size:
            return
        pos = 0
        pending = self._pending
        if self._held is not None:
            self._seal(self._held, last=False)
            self._held = None
        if pending:
            pos = min(CHUNK_SIZE - len(pending), size)
            pending += view[:pos]
            if pos == size:
                return  # pending may be full, but it could still be the last chunk
            self._seal(pending, last=False)
            pending.clear()
        # Whole chunks straight from the caller's buffer, no copy, keeping the tail back.
        while size - pos > CHUNK_SIZE:
            self._seal(view[pos : pos + CHUNK_SIZE], last=False)
            pos += CHUNK_SIZE
        if size - pos == CHUNK_SIZE and isinstance(data, bytes):
            self._held = view[pos:]  # bytes cannot change under us: no copy
            return
        pending += view[pos:]

    def close(self) -> None:
        if self._closed:
            return
        self._seal(self._held if self._held is not None else self._pending, last=True)
        self._held = None
        self._pending = bytearray()
        self._closed = True

    def _seal(self, chunk: bytes | bytearray | memoryview, last: bool) -> None:
        self._emit(self._cipher.seal(self._counter, last, chunk))
        self._counter += 1


@dataclass(frozen=True)
class PayloadLayout:
    """Where chunks sit in a payload of known length, and the plaintext size that implies."""

    chunk_count: int
    plaintext_size: int
    last_chunk_size: int  # ciphertext bytes in the final chunk, tag included

    @classmethod
    def from_ciphertext_size(cls, size: int) -> PayloadLayout:
        """Refuse lengths no valid STREAM could have, before any decryption."""
        if size <= 0:
            raise PayloadError("payload has no chunks (truncated after the nonce)")
        count = -(-size // ENCRYPTED_CHUNK_SIZE)
        last = size - (count - 1) * ENCRYPTED_CHUNK_SIZE
        if last < TAG_SIZE:
            raise PayloadError("payload ends inside a chunk tag (truncated)")
        if last == TAG_SIZE and count > 1:
            raise PayloadError("final chunk is empty but the payload is not")
        return cls(count, size - count * TAG_SIZE, last)

    def chunk_size(self, index: int) -> int:
        return self.last_chunk_size if index == self.chunk_count - 1 else ENCRYPTED_CHUNK_SIZE


def iter_stream_plaintext(cipher: PayloadCipher, read: Callable[[int], bytes]) -> Iterator[bytes]:
    """Decrypt a payload of unknown length chunk by chunk, as it is read.

    read(n) must return n bytes unless the input ends first. Each chunk is yielded
    only after its tag verifies; errors are raised where they are found, so what was
    yielded before an error is exactly the authenticated prefix (the age test vectors
    check this). The caller must treat an error as fatal for the whole file.
    """
    counter = 0
    while True:
        chunk = read(ENCRYPTED_CHUNK_SIZE)
        if not chunk:
            raise PayloadError("payload ends without a final chunk (truncated)")
        last = len(chunk) < ENCRYPTED_CHUNK_SIZE
        if last and counter > 0 and len(chunk) == TAG_SIZE:
            raise PayloadError("final chunk is empty but the payload is not")
        if last:
            plaintext = cipher.open(counter, True, chunk)
        else:
            try:
                plaintext = cipher.open(counter, False, chunk)
            except PayloadError:
                # A full-size chunk may still be the final one.
                plaintext = cipher.open(counter, True, chunk)
                last = True
        yield plaintext
        if last:
            if read(1):
                raise PayloadError("data after the final chunk")
            return
        counter += 1
