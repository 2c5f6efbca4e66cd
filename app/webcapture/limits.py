"""How much of a web capture is read: caps that hold before any member is decompressed."""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1024**3
# Bytes per read in the check's every layer (zip member, gunzip, WARC records): steps that fit
# the CPU's cache; 1 MiB steps made the same pass about twice as slow (docs/performance.md).
READ_STEP = 64 * 1024


@dataclass(frozen=True)
class CaptureLimits:
    max_members: int = 10_000  # zip entries in a WACZ
    max_member_bytes: int = 64 * GiB  # one member, uncompressed
    max_total_bytes: int = 128 * GiB  # all members (or a gzipped WARC), uncompressed
    # A member that expands more than this many times over (and past 1 MiB) is a zip bomb:
    # WARCs inside a WACZ are already gzipped and stored, and JSON compresses about 10:1.
    max_ratio: int = 200
    ratio_floor_bytes: int = 1024 * 1024
    max_kept_records: int = 50_000  # records listed in the result (all are still checked)
    max_kept_pages: int = 10_000
    max_json_bytes: int = 16 * 1024 * 1024  # datapackage.json, its digest, a pages.jsonl line


class CaptureFailed(Exception):
    """The capture fails its check: `where` names the resource or record, `reason` says why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
