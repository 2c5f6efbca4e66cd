"""The backup's container: a directory, or the same files in one uncompressed tar.

Layout (docs/operations.md, "Backups"):

    manifest.json         what is inside, with the SHA-256 of every other file
    tables/<table>.jsonl  one JSON object per row
    blobs/<key>           each blob exactly as stored (age ciphertext)

Files are written and read as streams of chunks, so memory stays constant whatever the blob
sizes. Reading never extracts a tar: members are looked up by the names the manifest gives,
after those names are checked, so a hostile archive cannot write outside anything.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
MANIFEST = "manifest.json"


class ArchiveError(RuntimeError):
    """The backup cannot be written or read as asked; the message says why."""


@dataclass(frozen=True)
class WrittenFile:
    size: int
    sha256: str


def open_writer(out: Path) -> DirectoryWriter | TarWriter:
    """A writer for OUT: a tar when the name ends in .tar, a new directory otherwise."""
    if out.exists():
        raise ArchiveError(f"{out} already exists; a backup never overwrites anything")
    if out.suffix == ".tar":
        return TarWriter(out)
    return DirectoryWriter(out)


def open_reader(source: Path) -> DirectoryReader | TarReader:
    if source.is_dir():
        return DirectoryReader(source)
    if source.is_file() and tarfile.is_tarfile(source):
        return TarReader(source)
    raise ArchiveError(f"{source} is neither a backup directory nor a tar file")


class DirectoryWriter:
    def __init__(self, root: Path) -> None:
        self.root = root
        # 0700: the files are ciphertext, but the row counts and ids are nobody else's business.
        root.mkdir(mode=0o700, parents=True)

    def add(self, name: str, chunks: Iterable[bytes], size: int | None = None) -> WrittenFile:
        path = self.root / name
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest, written = hashlib.sha256(), 0
        with open(path, "xb", opener=_private) as handle:
            for chunk in chunks:
                digest.update(chunk)
                written += len(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if size is not None and written != size:
            raise ArchiveError(f"{name}: {written} bytes read, {size} expected")
        return WrittenFile(written, digest.hexdigest())

    def close(self) -> None:
        return None

    def abort(self) -> None:
        return None  # a partial directory is left for the operator to inspect and remove


class TarWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        handle = open(path, "xb", opener=_private)  # noqa: SIM115 (owned by the tar)
        self._tar = tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT)
        self._handle = handle

    def add(self, name: str, chunks: Iterable[bytes], size: int | None = None) -> WrittenFile:
        if size is None:
            # A tar header needs the size first: spool the (small) table file to disk.
            with tempfile.TemporaryFile() as spool:
                digest, written = hashlib.sha256(), 0
                for chunk in chunks:
                    digest.update(chunk)
                    written += len(chunk)
                    spool.write(chunk)
                spool.seek(0)
                self._tar.addfile(_tar_info(name, written), spool)
            return WrittenFile(written, digest.hexdigest())
        stream = _HashingStream(iter(chunks))
        self._tar.addfile(_tar_info(name, size), stream)
        if stream.size != size or stream.leftover():
            raise ArchiveError(f"{name}: the size changed while it was being copied")
        return WrittenFile(size, stream.digest.hexdigest())

    def close(self) -> None:
        self._tar.close()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()

    def abort(self) -> None:
        self._tar.close()
        self._handle.close()


class DirectoryReader:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, name: str) -> Iterator[bytes]:
        path = self.root / name
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed by the generator)
        except FileNotFoundError:
            raise ArchiveError(f"the backup has no {name}") from None
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def close(self) -> None:
        return None


class TarReader:
    def __init__(self, path: Path) -> None:
        self._tar = tarfile.open(path, mode="r:")

    def read(self, name: str) -> Iterator[bytes]:
        try:
            member = self._tar.getmember(name)
        except KeyError:
            raise ArchiveError(f"the backup has no {name}") from None
        if not member.isfile():
            raise ArchiveError(f"{name} in the backup is not a regular file")
        handle = self._tar.extractfile(member)
        assert handle is not None
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def close(self) -> None:
        self._tar.close()


def read_all(chunks: Iterable[bytes]) -> bytes:
    return b"".join(chunks)


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


class _HashingStream(io.RawIOBase):
    """A readable file over an iterator of chunks, hashing what tarfile reads."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._offset = 0
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        # Exactly n bytes unless the data ends (tarfile treats a short read as truncation),
        # taken slice by slice: re-slicing one growing buffer would copy each byte many times.
        parts: list[bytes] = []
        need = n if n >= 0 else float("inf")
        while need > 0:
            if self._offset >= len(self._chunk):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._chunk, self._offset = chunk, 0
                continue
            take = int(min(need, len(self._chunk) - self._offset))
            parts.append(self._chunk[self._offset : self._offset + take])
            self._offset += take
            need -= take
        data = b"".join(parts)
        self.digest.update(data)
        self.size += len(data)
        return data

    def leftover(self) -> bool:
        return self._offset < len(self._chunk) or next(self._chunks, None) is not None
