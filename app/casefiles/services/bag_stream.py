"""A BagIt bag (RFC 8493) written as a stream: each payload file is hashed while its bytes pass
on their way out, and the tag files (manifest, bagit.txt, bag-info.txt, tag manifest and its
minisign signature) follow the payload. The bytes go into a tar (which the caller feeds to the
age writer, so the bag exists only encrypted) or, for a deliberately unencrypted export, into
a folder.

Memory stays flat in the evidence size: one chunk of a file is held at a time.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from app.casefiles.services.errors import ExportError

SIGNATURE_NAME = "tagmanifest-sha256.txt.minisig"


class BagTarget(Protocol):
    def add(self, relpath: str, size: int, chunks: Iterable[bytes]) -> None: ...


class TarTarget:
    """Bag files as entries of a streamed tar under `root/` (no seeking: the sink may be age).

    Each header comes from tarfile (PAX, so long and non-ASCII names survive) and each file's
    chunks go to the sink as they arrive, padded to the tar block: nothing is buffered on the
    way. tarfile's own stream held each MiB in three or four copies on its way through
    (docs/performance.md, "The export job's memory"). Refuses a stream longer or shorter than
    announced: the header already holds the size.
    """

    def __init__(self, sink: BinaryIO, root: str) -> None:
        self.sink = sink
        self.root = root
        self.mtime = int(time.time())
        self.offset = 0
        self.closed = False

    def add(self, relpath: str, size: int, chunks: Iterable[bytes]) -> None:
        info = tarfile.TarInfo(f"{self.root}/{relpath}")
        info.size = size
        info.mtime = self.mtime
        # Nothing about the exporting server's accounts travels in the archive.
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o644
        self._write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        written = 0
        for chunk in chunks:
            written += len(chunk)
            if written > size:
                break
            self._write(chunk)
        if written != size:
            raise ExportError("A file changed size while it was exported; nothing was delivered.")
        remainder = size % tarfile.BLOCKSIZE
        if remainder:
            self._write(tarfile.NUL * (tarfile.BLOCKSIZE - remainder))

    def _write(self, data: bytes) -> None:
        if self.closed:
            raise ExportError("The export's archive was already closed.")
        self.sink.write(data)
        self.offset += len(data)

    def close(self) -> None:
        """The end of the archive, as tarfile writes it: two zero blocks, then zeros up to a
        whole record."""
        end = tarfile.NUL * (2 * tarfile.BLOCKSIZE)
        remainder = (self.offset + len(end)) % tarfile.RECORDSIZE
        if remainder:
            end += tarfile.NUL * (tarfile.RECORDSIZE - remainder)
        self._write(end)
        self.closed = True

    def abandon(self) -> None:
        """After a failure: write nothing more (the sink is being discarded)."""
        self.closed = True


class FolderTarget:
    """Bag files written into a new folder (the unencrypted export, for an on-site technician)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, relpath: str, size: int, chunks: Iterable[bytes]) -> None:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = 0
        with open(path, "xb") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
        if written != size:
            raise ExportError("A file changed size while it was exported; nothing was delivered.")

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _encode_path(path: str) -> str:
    # RFC 8493 s2.1.3: CR, LF and % in manifest paths are percent-encoded.
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class BagStream:
    """Payload first (hashed on the way), then the tag files; `finish` signs the bag."""

    def __init__(self, target: BagTarget) -> None:
        self.target = target
        self.manifest: list[tuple[str, str]] = []  # (sha256, data/relpath)
        self.octets = 0

    def add_bytes(self, relpath: str, data: bytes) -> str:
        return self.add_chunks(relpath, len(data), [data])

    def add_chunks(self, relpath: str, size: int, chunks: Iterable[bytes]) -> str:
        """Add data/<relpath> from `chunks` (exactly `size` bytes); returns its SHA-256."""
        digest = hashlib.sha256()

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        path = f"data/{relpath}"
        self.target.add(path, size, hashed())
        self.manifest.append((digest.hexdigest(), path))
        self.octets += size
        return digest.hexdigest()

    def finish(self, bag_info: dict[str, str], sign: Callable[[bytes], str]) -> str:
        """Write the tag files and the signature over the tag manifest; returns its SHA-256."""
        info = {
            **bag_info,
            "Bagging-Date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "Payload-Oxum": f"{self.octets}.{len(self.manifest)}",
        }
        tags = {
            "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in info.items()).encode("utf-8"),
            "manifest-sha256.txt": "".join(
                f"{digest}  {_encode_path(path)}\n" for digest, path in sorted(self.manifest)
            ).encode("utf-8"),
        }
        tagmanifest = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in tags.items()
        ).encode("utf-8")
        tags["tagmanifest-sha256.txt"] = tagmanifest
        tags[SIGNATURE_NAME] = sign(tagmanifest).encode("ascii")
        for name, data in tags.items():
            self.target.add(name, len(data), [data])
        return hashlib.sha256(tagmanifest).hexdigest()
