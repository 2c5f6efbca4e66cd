"""HTTP framing of evidence bytes: Range requests (RFC 9110 §14) and Content-Disposition."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

# --- HTTP Range (RFC 9110 §14) ------------------------------------------------------------------


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive

    @property
    def length(self) -> int:
        return self.end - self.start

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


class RangeNotSatisfiable(Exception):
    """A valid single range that lies wholly beyond the representation (answer 416)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"range not satisfiable for {size} bytes")
        self.size = size


_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")
_HUGE = 10**19  # beyond any file; also keeps int() away from absurdly long digit strings


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 19 else _HUGE


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range to send, or None to send the whole representation (200).

    Decisions, each allowed by RFC 9110 §14.2 ("a server MAY ignore the Range header"):
    - no header, another unit than `bytes`, or a malformed header → None (200, full body);
    - several ranges → None (200, full body): multipart/byteranges is not implemented and
      no media player asks for it;
    - one valid range → that range, clamped to the size; a range that starts at or beyond
      the end (`bytes=SIZE-`, `bytes=-0`) raises RangeNotSatisfiable (416).
    """
    if not header:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    # Empty list elements are allowed by the list syntax (RFC 9110 §5.6.1).
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    if len(parts) != 1:
        return None
    match = _RANGE_SPEC.match(parts[0])
    if not match or match.group(0) == "-":
        return None
    first, last = match.groups()
    if first:
        start = _number(first)
        if last:
            end_inclusive = _number(last)
            if end_inclusive < start:
                return None  # invalid range-spec (§14.1.1): ignore the header
            end = min(end_inclusive + 1, size)
        else:
            end = size
        if start >= size:
            raise RangeNotSatisfiable(size)
        return ByteRange(start, end)
    suffix = _number(last)
    if suffix == 0 or size == 0:
        raise RangeNotSatisfiable(size)
    return ByteRange(max(size - suffix, 0), size)


# --- Content-Disposition (RFC 6266, RFC 8187) ---------------------------------------------------

# RFC 8187 §3.2.1 attr-char: what may stay unescaped in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"
_ASCII_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]+")
_UNSHOWN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_filename(name: str, default: str) -> str:
    """A filename with no control, format (e.g. right-to-left override) or path characters."""
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSHOWN_CATEGORIES)
    kept = kept.replace("/", "_").replace("\\", "_").strip().lstrip(".")
    return kept[:200] or default


def ascii_filename(name: str, default: str) -> str:
    """The plain-ASCII fallback for old clients: no quotes, backslashes or control bytes."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = _ASCII_FALLBACK_UNSAFE.sub("_", folded).strip(" ._")
    if not any(ch.isalnum() for ch in folded.rsplit(".", 1)[0]):
        extension = folded.rsplit(".", 1)[1] if "." in folded else ""
        return f"{default}.{extension}" if extension else default
    return folded[:150]


def content_disposition(disposition: str, filename: str, default: str) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 §4.3).

    Every byte outside attr-char is percent-encoded in filename*, and the fallback keeps only
    [A-Za-z0-9._() -]: a name holding quotes, CR or LF cannot end the header or start another.
    """
    name = clean_filename(filename, default)
    fallback = ascii_filename(name, default)
    encoded = quote(name, safe=_ATTR_CHARS)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
