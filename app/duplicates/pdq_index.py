"""The near-duplicate lookup: PDQ hashes cut into indexed chunks (multi-index hashing).

A 256-bit hash is cut into 11 chunks (three of 24 bits, eight of 23). If two hashes are at
most 31 bits apart, at least one chunk is at most 2 bits apart (11 chunks x 3 bits > 31: the
pigeonhole principle). A lookup therefore asks each chunk's index for the query's chunk and
every value 1 or 2 bits from it, for each of the query's eight rotations and mirrors, and
checks the exact distance of the rows found: the same answers as comparing every stored hash
(`app/duplicates/matching.py`), without reading them all. Measured in
benchmarks/bench_pdq_index.py, with the figures in docs/performance.md.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, any_, bindparam, cast, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer, Text

from app.duplicates.matching import MAX_DISTANCE, MIN_FRAME_SHARE, MIN_QUALITY, Frame, usable
from app.duplicates.models import FingerprintFrame, MediaFingerprint, PdqIndexEntry
from app.extensions import db

CHUNK_WIDTHS = (24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23)
CHUNK_RADIUS = 2
COLUMNS = tuple(getattr(PdqIndexEntry, f"c{i}") for i in range(len(CHUNK_WIDTHS)))
assert sum(CHUNK_WIDTHS) == 256  # noqa: S101  (the chunks are the whole hash)
assert len(CHUNK_WIDTHS) * (CHUNK_RADIUS + 1) > MAX_DISTANCE  # noqa: S101  (pigeonhole)


def chunks(value: int) -> tuple[int, ...]:
    """The hash's chunks, most significant first."""
    out, shift = [], 256
    for width in CHUNK_WIDTHS:
        shift -= width
        out.append((value >> shift) & ((1 << width) - 1))
    return tuple(out)


def joined(parts: Iterable[int]) -> int:
    """The hash again from its chunks."""
    value = 0
    for part, width in zip(parts, CHUNK_WIDTHS, strict=True):
        value = (value << width) | part
    return value


@functools.cache
def _masks(width: int) -> tuple[int, ...]:
    """Every mask of at most CHUNK_RADIUS bits within a chunk of `width` bits (0 included)."""
    masks = [0]
    for flips in range(1, CHUNK_RADIUS + 1):
        for bits in itertools.combinations(range(width), flips):
            masks.append(sum(1 << bit for bit in bits))
    return tuple(masks)


def neighbours(part: int, width: int) -> set[int]:
    """The chunk and every value at most CHUNK_RADIUS bits from it."""
    return {part ^ mask for mask in _masks(width)}


def probes(frame: Frame) -> list[set[int]]:
    """Per chunk, the values to ask its index for: around each rotation's and mirror's chunk."""
    wanted: list[set[int]] = [set() for _ in CHUNK_WIDTHS]
    for variant in frame.variants:
        for values, part, width in zip(wanted, chunks(variant), CHUNK_WIDTHS, strict=True):
            values |= neighbours(part, width)
    return wanted


def index_frames(fingerprint: MediaFingerprint) -> None:
    """Index the fingerprint's usable frames (those that can match), once they have ids."""
    for frame in fingerprint.frames:
        if frame.quality < MIN_QUALITY:
            continue
        parts = chunks(int(frame.hash_hex, 16))
        db.session.add(
            PdqIndexEntry(
                frame_id=frame.id,
                investigation_id=fingerprint.investigation_id,
                **{f"c{i}": part for i, part in enumerate(parts)},
            )
        )


def frames_to_probe(query: Sequence[Frame]) -> list[Frame]:
    """Enough usable frames that every possible match has one of them matching.

    A photo is its one frame. A video matches only when at least 80 % of its usable frames
    match, so at most n - floor(0.8 n) of n frames fail: one more than that is sure to hold
    a matching frame of every video that matches.
    """
    frames = usable(query)
    needed = len(frames) - int(len(frames) * MIN_FRAME_SHARE) + 1
    return frames[: min(len(frames), needed)]


def matching_frames(investigation_id: str, query: Sequence[Frame]) -> set[str]:
    """Ids of the investigation's indexed frames within MAX_DISTANCE of some rotation or
    mirror of one of `frames_to_probe(query)`. Rows of other investigations are never read."""
    found: set[str] = set()
    for frame in frames_to_probe(query):
        rows = _rows_near(investigation_id, probes(frame))
        for frame_id, parts in rows.items():
            stored = joined(parts)
            if min((v ^ stored).bit_count() for v in frame.variants) <= MAX_DISTANCE:
                found.add(frame_id)
    return found


def matching_fingerprint_ids(investigation_id: str, query: Sequence[Frame]) -> set[str]:
    """The fingerprints holding a frame that `matching_frames` finds."""
    frame_ids = matching_frames(investigation_id, query)
    if not frame_ids:
        return set()
    return set(
        db.session.scalars(
            select(FingerprintFrame.fingerprint_id).where(FingerprintFrame.id.in_(frame_ids))
        )
    )


def _rows_near(investigation_id: str, wanted: list[set[int]]) -> dict[str, tuple[int, ...]]:
    # One SELECT per chunk, so that each uses its column's index (one OR over all of them can
    # make PostgreSQL's planner choose a sequential scan). PostgreSQL gets them as one UNION
    # ALL (one round trip) with each chunk's values as one array literal: psycopg adapting
    # thousands of ints one by one costs more than the index lookups. SQLite gets one
    # statement per chunk, within its limit on bound parameters.
    if db.session.get_bind().dialect.name == "postgresql":
        selects = [
            _near(
                investigation_id,
                column == any_(cast(bindparam(f"v{i}", _array(values), Text), ARRAY(Integer))),
            )
            for i, (column, values) in enumerate(zip(COLUMNS, wanted, strict=True))
        ]
        statements = [union_all(*selects)]
    else:
        statements = [
            _near(investigation_id, column.in_(sorted(values)))
            for column, values in zip(COLUMNS, wanted, strict=True)
        ]
    rows: dict[str, tuple[int, ...]] = {}
    for stmt in statements:
        for frame_id, *parts in db.session.execute(stmt):
            rows[frame_id] = tuple(parts)
    return rows


def _near(investigation_id: str, condition) -> Select:
    return select(PdqIndexEntry.frame_id, *COLUMNS).where(
        PdqIndexEntry.investigation_id == investigation_id, condition
    )


def _array(values: set[int]) -> str:
    return "{" + ",".join(map(str, sorted(values))) + "}"
