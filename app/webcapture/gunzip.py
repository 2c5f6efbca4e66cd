"""Gzip data of one or many members (a WARC gzipped per record, or as one stream) inflated in
READ_STEP pieces by zlib, which checks each member's header, CRC-32 and length itself."""

from __future__ import annotations

import zlib
from typing import BinaryIO

from app.webcapture.limits import READ_STEP

# zlib's window bits for a gzip wrapper (16) around a 32 KiB window (15).
_GZIP_WBITS = 16 + zlib.MAX_WBITS


class GunzipReader:
    """The inflated bytes of `source`'s gzip members, one after another.

    Python 3.11's gzip module reads its input 8 KiB at a time and checks the CRC-32 in Python;
    here zlib reads a member's header and trailer and checks its CRC-32 and size within each
    call (the GIL released), on READ_STEP pieces. As gzip's reader does, NUL bytes between
    members are padding; any other byte after a member must start the next one. A member cut
    short raises EOFError, a damaged one zlib.error.
    """

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self._inflate = zlib.decompressobj(_GZIP_WBITS)
        self._input = b""  # read from source, not yet given to zlib
        self._member_open = False  # a member has started and not yet ended
        self._source_done = False

    def read(self, size: int = -1) -> bytes:
        """Up to `size` inflated bytes as zlib gives them (no copy); empty at the end only."""
        want = size if size > 0 else READ_STEP
        if size == 0:
            return b""
        while True:
            if not self._input and not self._fill():
                if self._member_open:
                    raise EOFError(
                        "Compressed file ended before the end-of-stream marker was reached"
                    )
                return b""
            if not self._member_open:
                if self._input[:1] == b"\x00":  # padding between members
                    self._input = bytes(self._input).lstrip(b"\x00")
                if not self._input:
                    continue
                self._member_open = True
            data = self._inflate.decompress(self._input, want)
            self._input = self._inflate.unconsumed_tail
            if self._inflate.eof:
                self._input = self._inflate.unused_data
                self._inflate = zlib.decompressobj(_GZIP_WBITS)
                self._member_open = False
            if data:
                return data

    def _fill(self) -> bool:
        if self._source_done:
            return False
        self._input = self.source.read(READ_STEP)
        if not self._input:
            self._source_done = True
            return False
        return True
