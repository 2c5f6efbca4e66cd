"""The custody witness as a directory on another volume or host: one read-only file a record.

Each record is `<dir>/<REF>/<name>`, created under a temporary name and hard-linked to its
final name, so a name never holds half a file and an existing record is never replaced.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from app.crypto.fsync import fsync_directory
from app.custody.witness_records import WitnessConflict

# Below this much free space the directory counts as full for /readyz.
MIN_FREE_BYTES = 1 << 20


class DirectoryWitness:
    """Witness records as read-only files in a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.last_write_failed = False

    def put(self, reference: str, name: str, data: bytes) -> bool:
        """Write one record; False if an identical one was already there."""
        folder = self.directory / reference
        folder.mkdir(mode=0o755, exist_ok=True)
        final = folder / name
        if final.exists():
            return _same(final, data)
        temporary = folder / f".{final.name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(temporary, final)  # fails if the name exists: never replaces a record
            except FileExistsError:
                return _same(final, data)
        finally:
            temporary.unlink(missing_ok=True)
        fsync_directory(folder)
        return True

    def names(self, reference: str) -> set[str]:
        folder = self.directory / reference
        return {path.name for path in folder.glob("*.json")} if folder.is_dir() else set()

    def records(self, reference: str) -> list[tuple[str, bytes]]:
        folder = self.directory / reference
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.glob("*.json")):
            try:
                found.append((path.name, path.read_bytes()))
            except OSError:
                found.append((path.name, b""))  # verify names it
        return found

    def readiness(self) -> str | None:
        """None when the directory takes writes; else why not."""
        if not self.directory.is_dir():
            return "missing"
        if not os.access(self.directory, os.W_OK | os.X_OK):
            return "read_only"
        if shutil.disk_usage(self.directory).free < MIN_FREE_BYTES:
            return "full"
        return "write_failed" if self.last_write_failed else None


def _same(path: Path, data: bytes) -> bool:
    if path.read_bytes() != data:
        raise WitnessConflict(f"witness file {path.name} already holds another checkpoint")
    return False
