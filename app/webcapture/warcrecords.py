"""Each record of one WARC file (plain, per-record gzip or whole-file gzip) read with warcio:
its identity headers, its declared digests and whether they hold."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from app.webcapture.gunzip import GunzipReader
from app.webcapture.limits import READ_STEP, CaptureFailed, CaptureLimits
from app.webcapture.pageview import PageViews

_GZIP_MAGIC = b"\x1f\x8b"
# The fields WARC 1.1 makes mandatory in every record.
_REQUIRED = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length")
# ... and WARC-Target-URI in these types.
_TARGETED = frozenset({"response", "resource", "request", "revisit", "conversion", "continuation"})
# WARC-Date: a UTC timestamp in W3C form, to the second or finer (WARC 1.1 §5.4).
_WARC_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z\Z")
_RECORD_ID = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]+>\Z")
# What is kept of a warcinfo record: the fields that say how the capture was made.
_WARCINFO_FIELDS = (
    "software",
    "operator",
    "format",
    "isPartOf",
    "description",
    "http-header-user-agent",
)
_WARCINFO_BYTES = 64 * 1024


class _CountingReader:
    """Passes reads through (no copy unless a read came short), failing once more than `cap`
    bytes came out (a gzip bomb). warcio buffers on its own, so nothing buffers in between."""

    def __init__(self, source: Any, cap: int, where: str) -> None:
        self.source, self.cap, self.where, self.count = source, cap, where, 0

    def read(self, size: int = -1) -> bytes:
        """`size` bytes, fewer only at the end: warcio takes a short first read of a plain
        WARC for gzip and drops it."""
        size = size if size >= 0 else READ_STEP
        data = self.source.read(size)
        if data and len(data) < size:
            parts, got = [data], len(data)
            while got < size and (more := self.source.read(size - got)):
                parts.append(more)
                got += len(more)
            data = b"".join(parts)
        self.count += len(data)
        if self.count > self.cap:
            raise CaptureFailed(self.where, f"expands past the {self.cap}-byte cap")
        return data


@dataclass
class WarcReading:
    records: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    warcinfo: list[dict[str, str]] = field(default_factory=list)


def read_warc(
    stream: BinaryIO, where: str, limits: CaptureLimits, views: PageViews | None = None
) -> WarcReading:
    """Read every record of the WARC; CaptureFailed names the first record that is malformed,
    truncated, or whose WARC-Block-Digest / WARC-Payload-Digest does not hold. `views`, if
    given, collects the pages' HTML and screenshots from records whose digests held."""
    # warcio (with brotli) loads with the first capture read, not in every web worker.
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    head = _first_bytes(stream, 2)
    source: Any = _Prefixed(head, stream)
    if head == _GZIP_MAGIC:
        # One gzip stream for the whole file or one per record: both read alike.
        source = GunzipReader(source)
    counted = _CountingReader(source, limits.max_total_bytes, where)
    reading = WarcReading()
    iterator = ArchiveIterator(counted, check_digests=True, block_size=READ_STEP)
    try:
        for record in iterator:
            _read_record(record, iterator.offset, where, reading, limits, views)
        end = iterator.offset
        while counted.read(READ_STEP):
            pass
    except CaptureFailed:
        raise
    except (
        ArchiveLoadFailed,
        EOFError,
        OSError,
        zlib.error,
        ValueError,
        AttributeError,
        zipfile.BadZipFile,  # a WARC inside a WACZ read straight from its zip member
    ) as e:
        at = f"{where} record {reading.count + 1} (offset {iterator.offset})"
        raise CaptureFailed(at, f"malformed record: {_first_line(e)}") from None
    if end != counted.count:
        at = f"{where} record {reading.count + 1} (offset {end})"
        raise CaptureFailed(at, "bytes that are not a WARC record")
    if reading.count == 0:
        raise CaptureFailed(where, "holds no WARC record")
    return reading


def _first_bytes(stream: BinaryIO, count: int) -> bytes:
    """The stream's first `count` bytes (fewer only at its end): a source that hands out its
    bytes a few at a time (an upload as it arrives) may give fewer in one read."""
    head = b""
    while len(head) < count and (more := stream.read(count - len(head))):
        head += more
    return head


class _Prefixed:
    """`prefix`, then the rest of `source`, in reads of at most READ_STEP bytes."""

    def __init__(self, prefix: bytes, source: Any) -> None:
        self.prefix, self.source = prefix, source

    def read(self, size: int = -1) -> bytes:
        size = READ_STEP if size < 0 else min(size, READ_STEP)
        if self.prefix:
            taken, self.prefix = self.prefix[:size], self.prefix[size:]
            return taken
        return self.source.read(size)


def _read_record(record, offset: int, where: str, reading: WarcReading, limits, views) -> None:
    reading.count += 1
    at = f"{where} record {reading.count} (offset {offset})"
    headers = record.rec_headers
    missing = [name for name in _REQUIRED if not headers.get_header(name)]
    if missing:
        raise CaptureFailed(at, f"malformed record: no {', '.join(missing)}")
    kind = headers.get_header("WARC-Type")
    _check_headers(headers, kind, at)
    kept = {
        "file": where,
        "offset": offset,
        "type": kind,
        "record_id": headers.get_header("WARC-Record-ID"),
        "target_uri": headers.get_header("WARC-Target-URI"),
        "date": headers.get_header("WARC-Date"),
        "payload_digest": headers.get_header("WARC-Payload-Digest"),
        "block_digest": headers.get_header("WARC-Block-Digest"),
    }
    collector = views.collector(record, kind, kept) if views is not None else None
    stream = record.raw_stream
    head = bytearray()
    for chunk in _chunks(stream):
        if kind == "warcinfo" and len(head) < _WARCINFO_BYTES:
            head += chunk[: _WARCINFO_BYTES - len(head)]
        if collector is not None:
            collector.feed(chunk)
    if getattr(stream, "limit", 0):
        raise CaptureFailed(at, f"truncated: {stream.limit} bytes of its block are missing")
    checker = record.digest_checker
    if checker.passed is False:
        raise CaptureFailed(at, "; ".join(checker.problems))
    if kind == "warcinfo" and len(reading.warcinfo) < 100:
        reading.warcinfo.append({"file": where, **_warcinfo_fields(bytes(head))})
    reading.by_type[kind] = reading.by_type.get(kind, 0) + 1
    if collector is not None:
        views.finish(collector)
    if len(reading.records) < limits.max_kept_records:
        reading.records.append({**kept, "digests_checked": checker.passed is True})


def _check_headers(headers, kind: str, at: str) -> None:
    if not _WARC_DATE.match(headers.get_header("WARC-Date").strip()):
        raise CaptureFailed(at, "malformed record: WARC-Date is not a UTC timestamp")
    if not _RECORD_ID.match(headers.get_header("WARC-Record-ID").strip()):
        raise CaptureFailed(at, "malformed record: WARC-Record-ID is not a <URI>")
    if kind in _TARGETED and not headers.get_header("WARC-Target-URI"):
        raise CaptureFailed(at, f"malformed record: a {kind} record without WARC-Target-URI")


def _warcinfo_fields(block: bytes) -> dict[str, str]:
    """The named `field: value` lines of a warcinfo block (application/warc-fields), as text."""
    found: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() in _WARCINFO_FIELDS:
            found.setdefault(name.strip(), value.strip()[:500])
    return found


def _chunks(stream) -> Iterator[bytes]:
    while True:
        data = stream.read(READ_STEP)
        if not data:
            return
        yield data


def _first_line(error: Exception) -> str:
    if isinstance(error, AttributeError):  # warcio met a header line it could not split
        return "unreadable header"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
