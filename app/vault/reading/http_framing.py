"""HTTP framing of evidence bytes: Range requests (RFC 9110 §14) and Content-Disposition."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from app.vault.upload.sniff import EXTENSIONS

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
# Separators of some file system: "/" (POSIX), "\\" (Windows), ":" (drives, NTFS streams).
_PATH_SEPARATORS = "/\\:"
# Windows device names: "CON.txt" saved on Windows opens the console, not a file.
_WINDOWS_DEVICE = re.compile(
    r"^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])\s*(\..*)?$", re.I
)
_MAX_EXTENSION = 10


def _shorten(name: str, limit: int) -> str:
    """At most `limit` characters, keeping a short last extension (cut never creates one)."""
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= _MAX_EXTENSION:
        return f"{stem[: limit - len(extension) - 1]}.{extension}"
    return name[:limit]


def _not_a_device(name: str) -> str:
    return f"_{name}" if _WINDOWS_DEVICE.match(name) else name


def clean_filename(name: str, default: str) -> str:
    """A filename with no control, format (e.g. right-to-left override) or path characters.

    Nor leading dots (hidden files), trailing dots and spaces (Windows drops them, which
    can expose another extension), or a bare Windows device name (CON, NUL.txt, ...).
    """
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSHOWN_CATEGORIES)
    for separator in _PATH_SEPARATORS:
        kept = kept.replace(separator, "_")
    kept = _shorten(kept.strip().lstrip("."), 200).rstrip(". ")
    return _not_a_device(kept) if kept else default


def _ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _ASCII_FALLBACK_UNSAFE.sub("_", folded).strip(" ._")


def ascii_filename(name: str, default: str) -> str:
    """The plain-ASCII fallback for old clients: no quotes, backslashes or control bytes.

    The extension is folded apart from the stem, so a name whose stem has no ASCII letter
    ("شهادة.txt") falls back to the default stem with its extension kept.
    """
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem, extension = _ascii_fold(stem), _ascii_fold(extension)
    if not any(ch.isalnum() for ch in stem):
        stem = default
    return _not_a_device(_shorten(f"{stem}.{extension}" if extension else stem, 150))


def download_name(filename: str, media_type: str, default: str) -> str:
    """The name a browser saves evidence under: clean, and ending in an extension of its type.

    The stored name is kept as sent, but a text file named "report.vbs" or "notes.html" must
    not reach a desktop as a script: when the last extension disagrees with the type detected
    from the bytes, the type's own extension is appended ("report.vbs.txt").
    """
    name = clean_filename(filename, default)
    extensions = EXTENSIONS.get(media_type)
    if extensions:
        _, dot, extension = name.rpartition(".")
        if not dot or extension.lower() not in extensions:
            name = f"{_shorten(name, 190)}.{extensions[0]}"
    return name


def content_disposition(disposition: str, filename: str, default: str) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 §4.3).

    Every byte outside attr-char is percent-encoded in filename*, and the fallback keeps only
    [A-Za-z0-9._() -]: a name holding quotes, CR or LF cannot end the header or start another.
    """
    name = clean_filename(filename, default)
    fallback = ascii_filename(name, default)
    encoded = quote(name, safe=_ATTR_CHARS)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
