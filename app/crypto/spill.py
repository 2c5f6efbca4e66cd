"""Pictures waiting to be written or stored, sealed on disk instead of held in memory.

A PDF redaction's rasterised pages wait for PDFium, which writes a document only whole, at the
end (app/casefiles/services/pdf_redaction.py); a web capture's screenshots wait for the end of
its check, since a member whose digest fails shows nothing (app/webcapture/pageview.py). A
picture held in memory for each would make memory grow with their count. So each is sealed
(ChaCha20-Poly1305, under a key that lives only in this object) into one anonymous temporary
file, and read back through a SealedPicture (by PDFium as it writes the copy, by the capture
check as it stores each screenshot), one picture at a time. No plaintext rests on disk: the
file has no name, holds only ciphertext, and its key dies with the process.
"""

from __future__ import annotations

import io
import os
import tempfile

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

_NONCE_SIZE = 12


class SealedSpill:
    """Append-only sealed pictures; close() drops the file (and with it every picture)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
        self._count = 0
        self._end = 0

    def add(self, data: bytes) -> SealedPicture:
        """Seal `data` into the file; a seekable reader that opens it when read."""
        nonce = self._count.to_bytes(_NONCE_SIZE, "big")
        self._count += 1
        sealed = self._aead.encrypt(nonce, data, None)
        offset = self._end
        os.pwrite(self._file.fileno(), sealed, offset)
        self._end += len(sealed)
        return SealedPicture(self, offset, len(sealed), nonce, len(data))

    def open(self, offset: int, length: int, nonce: bytes) -> bytes:
        """The picture's bytes, authenticated (InvalidTag if the file was changed)."""
        sealed = os.pread(self._file.fileno(), length, offset)
        return self._aead.decrypt(nonce, sealed, None)

    def close(self) -> None:
        self._file.close()


class SealedPicture(io.RawIOBase):
    """A seekable read-only file over one sealed picture, opened (and authenticated) at each
    read: PDFium reads a picture's head when it is placed and the whole when it is written,
    so nothing of it stays in memory in between."""

    def __init__(self, spill: SealedSpill, offset: int, length: int, nonce: bytes, size: int):
        super().__init__()
        self._spill = spill
        self._where = (offset, length, nonce)
        self._size = size
        self._pos = 0

    def contents(self) -> bytes:
        """The whole picture, opened once (for a reader that asks for it in small pieces)."""
        return self._spill.open(*self._where)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        out = memoryview(buffer).cast("B")
        count = max(0, min(len(out), self._size - self._pos))
        if count:
            data = self._spill.open(*self._where)
            out[:count] = data[self._pos : self._pos + count]
            self._pos += count
        return count
