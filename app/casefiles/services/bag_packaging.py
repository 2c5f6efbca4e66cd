"""Sealing a streamed bag: the minisign signature over its tag manifest, and the age-encrypted
tar file the bag is streamed into (the only form in which a web export rests on disk)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from app.casefiles.services.bag_stream import TarTarget
from app.crypto.age import AgeWriter, Recipient
from app.vault.blobstore.writeback import start_writeback


def sign_tagmanifest(tagmanifest: bytes, reference: str) -> str:
    """The minisign signature (file text) over the tag manifest, naming the bag in its comment."""
    from app.security.org_keys import signing_key

    digest = hashlib.sha256(tagmanifest).hexdigest()
    comment = f"custos-bag-v1 {reference} tagmanifest-sha256 {digest}"
    return signing_key().sign(tagmanifest, comment, "signature from custos export key")


WRITEBACK_EVERY = 32 * 1024 * 1024


class _HashingSink:
    """Where the age writer's ciphertext goes: a file, hashed and counted on the way.

    Every 32 MiB it asks the kernel to start writing those bytes to disk, without waiting
    (the vault's `start_writeback`, as intake does): the disk works while the export goes on,
    and the fsync that ends the export waits for the last few MiB instead of the whole file
    (docs/performance.md). The file is new, so the sink's count is its offset.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0
        self._since_writeback = 0

    def write(self, data: bytes) -> int:
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)
        self._since_writeback += len(data)
        if self._since_writeback >= WRITEBACK_EVERY:
            self.handle.flush()
            start = self.size - self._since_writeback
            start_writeback(self.handle.fileno(), start, self._since_writeback)
            self._since_writeback = 0
        return len(data)


class _AgeTarSink:
    """A write-only file object for tarfile that encrypts everything it is given."""

    def __init__(self, writer: AgeWriter) -> None:
        self.writer = writer

    def write(self, data: bytes) -> int:
        self.writer.write(data)
        return len(data)


class EncryptedTar:
    """A tar streamed through age into `out_path` (via `out_path.tmp`, renamed when complete).

    Only ciphertext reaches the disk: tar blocks go straight into the age writer. `add` is the
    BagTarget of bag_stream; `commit` returns (sha256, size) of the .tar.age; `discard`
    removes the partial file after a failure.
    """

    def __init__(self, out_path: Path, recipients: list[Recipient], root: str) -> None:
        self.out_path = out_path
        self.partial = out_path.with_name(out_path.name + ".tmp")
        self.handle = open(self.partial, "xb")  # noqa: SIM115 - closed in commit/discard
        self.sink = _HashingSink(self.handle)
        self.writer = AgeWriter(self.sink, recipients)
        self.tar = TarTarget(_AgeTarSink(self.writer), root)

    def add(self, relpath: str, size: int, chunks: Iterable[bytes]) -> None:
        self.tar.add(relpath, size, chunks)

    def commit(self) -> tuple[str, int]:
        self.tar.close()
        self.writer.close()
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.partial.rename(self.out_path)
        return self.sink.digest.hexdigest(), self.sink.size

    def discard(self) -> None:
        self.tar.abandon()
        self.handle.close()
        self.partial.unlink(missing_ok=True)
