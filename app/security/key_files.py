"""The key folder's files written durably (new ones never overwrite), and the rotation marker."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from app.crypto.age import Recipient
from app.crypto.fsync import fsync_directory
from app.timeutil import utcnow

ROTATION_FILE = "rotation.json"


class KeyStoreError(RuntimeError):
    """The key folder is missing, partial, unreadable or sealed under another master key."""


def create_key_file(path: Path, data: bytes, mode: int) -> None:
    """Write a new file durably; link(2) refuses to replace one that appeared meanwhile."""
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    _write_synced(temporary, data, mode)
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise KeyStoreError(f"refusing to overwrite the existing key file {path}") from None
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)


def replace_key_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Atomically replace a file: readers see the old or the new content, never a mix."""
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    _write_synced(temporary, data, mode)
    os.replace(temporary, path)
    fsync_directory(path.parent)


def _write_synced(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


# --- Rotation marker -------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationMarker:
    target: Recipient
    started_at: str


def read_rotation_marker(keys_dir: Path) -> RotationMarker | None:
    path = Path(keys_dir) / ROTATION_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return RotationMarker(Recipient.parse(data["target"]), data["started_at"])


def write_rotation_marker(keys_dir: Path, target: Recipient) -> None:
    text = json.dumps({"target": str(target), "started_at": utcnow().isoformat() + "Z"})
    replace_key_file(Path(keys_dir) / ROTATION_FILE, text.encode(), 0o644)


def clear_rotation_marker(keys_dir: Path) -> None:
    (Path(keys_dir) / ROTATION_FILE).unlink(missing_ok=True)
    fsync_directory(Path(keys_dir))
