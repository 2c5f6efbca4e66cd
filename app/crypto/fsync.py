"""fsync a directory, so the names just linked, renamed or removed in it survive a crash."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Flush `directory`'s entries to disk (fsync(2) on a read-only descriptor of it).

    A file's own fsync makes its bytes durable, not its name: after os.replace, os.link or
    os.rename, the directory must be synced too, or a crash can bring back the old name.
    """
    fd = os.open(Path(directory), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
