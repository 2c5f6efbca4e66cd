"""Whole-buffer and pipe helpers over the age writer and decryptors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from .errors import HeaderError
from .header import open_header, read_header_from
from .keys import Identity, Recipient
from .reader import AgeReader
from .source import BytesSource
from .stream import NONCE_SIZE, PayloadCipher, iter_stream_plaintext, payload_key
from .writer import AgeWriter


def encrypt_bytes(data: bytes, recipients: Sequence[Recipient]) -> bytes:
    out = bytearray()
    writer = AgeWriter(out.extend, recipients)
    writer.write(data)
    writer.close()
    return bytes(out)


def decrypt_bytes(data: bytes, identities: Sequence[Identity]) -> bytes:
    """All plaintext, or an AgeError and nothing: the whole file is verified first."""
    return b"".join(AgeReader.open(BytesSource(data), identities).iter_all())


class _PrefixReader:
    """Reads a non-seekable stream, keeping what the header search has already read."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._buffer = bytearray()
        self._offset = 0

    def prefix(self, n: int) -> bytes:
        while len(self._buffer) < n:
            part = self._read(n - len(self._buffer))
            if not part:
                break
            self._buffer += part
        return bytes(self._buffer[:n])

    def skip_to(self, offset: int) -> None:
        del self._buffer[:offset]

    def read_full(self, n: int) -> bytes:
        """n bytes, fewer only at the end of the stream (short reads from pipes are retried)."""
        take = bytes(self._buffer[:n])
        del self._buffer[:n]
        parts = [take]
        missing = n - len(take)
        while missing:
            part = self._read(missing)
            if not part:
                break
            parts.append(part)
            missing -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)


def decrypt_stream(src: BinaryIO, identities: Sequence[Identity]) -> Iterator[bytes]:
    """Decrypt a non-seekable stream (a pipe, an upload) chunk by chunk, in order.

    Header problems raise here, at the call; each chunk is yielded only once
    authenticated, but a truncation is found only at the end: a consumer must
    discard everything it received if the iteration raises.
    """
    reader = _PrefixReader(src.read)
    header, _ = read_header_from(reader.prefix, None)
    file_key = open_header(header, identities)
    reader.skip_to(header.length)
    nonce = reader.read_full(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise HeaderError("file ends before the payload nonce")
    cipher = PayloadCipher(payload_key(file_key, nonce))
    return iter_stream_plaintext(cipher, reader.read_full)
