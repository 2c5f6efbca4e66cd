"""Streams an MP4/MOV with its index (moov) moved to the front, for tools that read a pipe.

Cameras and phones write the `moov` box (the index: durations, codecs, sample offsets)
after the media data, because they only know it when recording stops. ffmpeg reading such
a file from a pipe must read the whole `mdat` to find the index and then cannot go back for
the first frame. Reordering the boxes on the fly, as qt-faststart does (ISO/IEC 14496-12
§8.7.5 chunk offsets are absolute file positions, so every offset that moves is adjusted),
lets ffprobe stop after the first few kilobytes and ffmpeg decode a poster frame, without a
decrypted copy on disk. The original evidence is never changed: this is a view for tools.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

# Boxes whose children we descend into to reach the chunk offset tables (stco/co64).
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
# An index bigger than this is not a phone video; refuse rather than hold it in memory.
MAX_MOOV_SIZE = 64 * 1024 * 1024
_U32_MAX = 0xFFFFFFFF


class Ranges(Protocol):
    """Plaintext read by range (AgeReader has this shape)."""

    plaintext_size: int

    def iter_range(self, start: int, end: int) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class Box:
    type: bytes
    offset: int
    size: int


class LayoutError(ValueError):
    """Not a well-formed ISO BMFF file at the top level."""


class MissingIndex(ValueError):
    """Well-formed boxes but no moov: a recording cut off before it was finalised.

    No tool can decode such a file (the sample table is the only map of the media data), so
    callers say so at once instead of piping gigabytes through ffprobe to learn it.
    """


def read_at(source: Ranges, offset: int, length: int) -> bytes:
    return b"".join(source.iter_range(offset, offset + length))


def top_level_boxes(source: Ranges) -> list[Box]:
    """The file's top-level boxes, read from their 8/16-byte headers only."""
    boxes: list[Box] = []
    offset = 0
    total = source.plaintext_size
    while offset < total:
        header = read_at(source, offset, 16)
        if len(header) < 8:
            raise LayoutError("truncated box header")
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1:
            if len(header) < 16:
                raise LayoutError("truncated large box header")
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:
            size = total - offset  # "extends to the end of the file"
        if size < 8 or offset + size > total:
            raise LayoutError("box size out of bounds")
        boxes.append(Box(kind, offset, size))
        offset += size
    return boxes


def _patch_chunk_offsets(moov: bytearray, start: int, end: int, moved_from: int, delta: int):
    """Add delta to every chunk offset below moved_from, in stco/co64 boxes within [start, end)."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", moov[position : position + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", moov[position + 8 : position + 16])[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise LayoutError("malformed box inside moov")
        body = position + header
        if kind in _CONTAINERS:
            _patch_chunk_offsets(moov, body, position + size, moved_from, delta)
        elif kind in (b"stco", b"co64"):
            width, fmt = (4, ">I") if kind == b"stco" else (8, ">Q")
            count = struct.unpack(">I", moov[body + 4 : body + 8])[0]
            first = body + 8
            if first + count * width > position + size:
                raise LayoutError("chunk offset table longer than its box")
            for i in range(count):
                at = first + i * width
                value = struct.unpack(fmt, moov[at : at + width])[0]
                if value < moved_from:
                    value += delta
                    if kind == b"stco" and value > _U32_MAX:
                        raise LayoutError("offsets would overflow 32 bits")
                    struct.pack_into(fmt, moov, at, value)
        position += size


def index_first(source: Ranges) -> Iterable[bytes]:
    """The file's bytes with moov moved before the media data, or as they are if already so.

    Falls back to the original order when the layout is unusual (unparsable boxes, a huge
    index, an offset overflow): the tools then read sequentially, slower but still correct.
    Raises MissingIndex when the boxes parse but none is a moov.
    """
    try:
        plan = _plan(source)
    except LayoutError:
        plan = None
    if plan is None:
        return source.iter_range(0, source.plaintext_size)
    return _reordered(source, *plan)


def _plan(source: Ranges) -> tuple[int, bytes, Box] | None:
    boxes = top_level_boxes(source)
    moov = next((b for b in boxes if b.type == b"moov"), None)
    first_mdat = next((b for b in boxes if b.type == b"mdat"), None)
    if moov is None:
        raise MissingIndex("the file has no moov box (index); it was probably cut off")
    if first_mdat is None or moov.offset < first_mdat.offset:
        return None
    if moov.size > MAX_MOOV_SIZE:
        return None
    insert_at = boxes[0].size if boxes[0].type == b"ftyp" else 0
    data = bytearray(read_at(source, moov.offset, moov.size))
    header = 16 if struct.unpack(">I", data[:4])[0] == 1 else 8
    # Everything between insert_at and moov moves forward by moov.size.
    _patch_chunk_offsets(data, header, len(data), moov.offset, moov.size)
    return insert_at, bytes(data), moov


def _reordered(source: Ranges, insert_at: int, moov_bytes: bytes, moov: Box) -> Iterator[bytes]:
    yield from source.iter_range(0, insert_at)
    yield moov_bytes
    yield from source.iter_range(insert_at, moov.offset)
    yield from source.iter_range(moov.offset + moov.size, source.plaintext_size)
