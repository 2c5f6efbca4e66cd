"""Starting the disk's write of a blob's new bytes while more arrive (Linux sync_file_range).

Left alone, the kernel keeps a fresh upload in the page cache (on a quiet machine nothing is
written back for 30 s, or until gigabytes are dirty), so the fsync at commit wrote the whole
file after the last byte arrived: a 1 GiB form upload took its receiving time plus the disk's
time, one after the other (docs/performance.md, "Against the physical limit"). Asking for the
write as each few MiB arrive overlaps the two. Durability still comes from the fsync at
commit or checkpoint; this only starts the work early, and does nothing where unsupported.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

# Bytes written to a blob between two requests to start writing them back.
WRITEBACK_BYTES = 8 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2  # <linux/fs.h>: start write-out of dirty pages, do not wait


def _load_sync_file_range():
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None  # not Linux: the fsync at commit does all the writing, as before
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_sync_file_range = _load_sync_file_range()


def start_writeback(fd: int, offset: int, length: int) -> bool:
    """Ask the kernel to start writing [offset, offset + length) of fd to disk; returns at once
    (it may wait while the disk's queue is full). False when it could not be asked."""
    if _sync_file_range is None or length <= 0:
        return False
    # ctypes releases the GIL for the call; an error here loses nothing (fsync follows).
    return _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE) == 0
