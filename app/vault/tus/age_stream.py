"""The age stream of a resumable upload: encryption state that survives between requests.

The file key, nonce, chunk counter and unsealed tail (< 64 KiB) are serialised into the upload
session's encrypted `stream_state`, so the next PATCH, on any worker, continues the same age
payload; verify_stored re-hashes a completed blob with the upload's own file key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from typing import Any

from app.crypto.age import CHUNK_SIZE, AgeReader, Recipient
from app.crypto.age.header import FILE_KEY_SIZE, Stanza, new_file_key, seal_header
from app.crypto.age.stream import NONCE_SIZE, PayloadCipher, payload_key
from app.vault.storage import blob_store
from app.vault.upload.sniff import SNIFF_BYTES, DetectedType, detect_type

_STATE_VERSION = 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


class ResumableEncryptor:
    """age encryption whose whole state (besides the ciphertext already out) is serialisable.

    Until SNIFF_BYTES have arrived the tail holds the plaintext prefix unsealed, so the type
    can be decided from it, across PATCHes, before anything of a refused file is sealed.
    """

    def __init__(
        self,
        file_key: bytes,
        nonce: bytes,
        recipients: list[str],
        counter: int = 0,
        tail: bytes = b"",
        detected: DetectedType | None = None,
    ) -> None:
        if len(file_key) != FILE_KEY_SIZE or len(nonce) != NONCE_SIZE:
            raise ValueError("bad resumable stream state")
        self.file_key = file_key
        self.nonce = nonce
        self.recipients = recipients
        self.counter = counter
        self.tail = bytearray(tail)
        self.detected = detected
        self._cipher = PayloadCipher(payload_key(file_key, nonce))

    @classmethod
    def new(cls, recipients: list[Recipient]) -> tuple[ResumableEncryptor, bytes]:
        """A fresh stream, and the header + payload nonce that start its ciphertext."""
        file_key = new_file_key()
        nonce = os.urandom(NONCE_SIZE)
        stream = cls(file_key, nonce, [str(r) for r in recipients])
        return stream, seal_header(file_key, recipients) + nonce

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ResumableEncryptor:
        if state.get("v") != _STATE_VERSION:
            raise ValueError("unknown resumable stream state version")
        detected = DetectedType(*state["detected"]) if state.get("detected") else None
        return cls(
            _unb64(state["file_key"]),
            _unb64(state["nonce"]),
            list(state["recipients"]),
            int(state["counter"]),
            _unb64(state["tail"]),
            detected,
        )

    def state(self, blob_state: str) -> dict[str, Any]:
        return {**self.snapshot(), "blob": blob_state}

    def snapshot(self) -> dict[str, Any]:
        """The state as of now, for a checkpoint whose blob state is not known yet."""
        return {
            "v": _STATE_VERSION,
            "file_key": _b64(self.file_key),
            "nonce": _b64(self.nonce),
            "recipients": self.recipients,
            "counter": self.counter,
            "tail": _b64(bytes(self.tail)),
            "detected": [self.detected.media_type, self.detected.kind] if self.detected else None,
        }

    def write(self, data: bytes | memoryview, emit: Callable[[bytes], None]) -> None:
        if self.detected is None:
            self.tail += data
            if len(self.tail) >= SNIFF_BYTES:
                self._detect()
                held, self.tail = self.tail, bytearray()
                self._feed(held, emit)
            return
        self._feed(data, emit)

    def _detect(self) -> None:
        self.detected = detect_type(bytes(self.tail[:SNIFF_BYTES]))

    def _feed(self, data: bytes | bytearray | memoryview, emit: Callable[[bytes], None]) -> None:
        # As age's StreamSealer: a full chunk is held back until more arrives, because only
        # the end of the stream tells which chunk is last (C2SP age, Payload).
        view = memoryview(data).cast("B")
        pos = 0
        if self.tail:
            pos = min(CHUNK_SIZE - len(self.tail), len(view))
            self.tail += view[:pos]
            if pos == len(view):
                return
            emit(self._seal(self.tail, last=False))
            self.tail = bytearray()
        while len(view) - pos > CHUNK_SIZE:
            emit(self._seal(view[pos : pos + CHUNK_SIZE], last=False))
            pos += CHUNK_SIZE
        self.tail += view[pos:]

    def _seal(self, chunk: bytes | bytearray | memoryview, last: bool) -> bytes:
        sealed = self._cipher.seal(self.counter, last, chunk)
        self.counter += 1
        return sealed

    def finish(self, emit: Callable[[bytes], None]) -> DetectedType:
        if self.detected is None:
            self._detect()  # the whole file is shorter than SNIFF_BYTES and sits in the tail
        emit(self._seal(self.tail, last=True))
        self.tail = bytearray()
        assert self.detected is not None
        return self.detected


class _FileKeyIdentity:
    """Opens any header whose MAC verifies under a file key we already hold."""

    def __init__(self, file_key: bytes) -> None:
        self._file_key = file_key

    def unwrap(self, stanza: Stanza) -> bytes | None:
        return self._file_key


def verify_stored(key: str, file_key: bytes) -> tuple[str, int]:
    """SHA-256 and size of a committed blob's plaintext, decrypted with its file key."""
    source = blob_store().open(key)
    try:
        reader = AgeReader.open(source, [_FileKeyIdentity(file_key)])  # type: ignore[list-item]
        digest = hashlib.sha256()
        for piece in reader.iter_all():
            digest.update(piece)
        return digest.hexdigest(), reader.plaintext_size
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
