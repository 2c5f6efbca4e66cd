"""ASCII armor: the strict PEM subset of RFC 7468 that age allows (C2SP age, ASCII armor)."""

from __future__ import annotations

import binascii
import re

from .errors import ArmorError

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
_COLUMNS = 64
_BYTES_PER_LINE = 48
_B64_PADDED = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_OUTSIDE_WHITESPACE = b" \t\r\n"


def armor(data: bytes) -> bytes:
    """PEM-encode an age file: 64-column padded base64 lines, LF endings, final newline."""
    lines = [BEGIN]
    lines += [
        binascii.b2a_base64(data[i : i + _BYTES_PER_LINE], newline=False)
        for i in range(0, len(data), _BYTES_PER_LINE)
    ]
    lines.append(END)
    return b"\n".join(lines) + b"\n"


def is_armored(data: bytes) -> bool:
    return data.lstrip(_OUTSIDE_WHITESPACE).startswith(BEGIN)


def dearmor(text: bytes) -> bytes:
    """Decode armor, refusing anything but whitespace around it and canonical base64.

    The spec warns armor is malleable unless parsed strictly; LF or CRLF line
    endings are both accepted, as it allows.
    """
    lines = text.strip(_OUTSIDE_WHITESPACE).split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if len(lines) < 2 or lines[0] != BEGIN or lines[-1] != END:
        raise ArmorError("not an age armored file (missing or wrong PEM markers)")
    body = lines[1:-1]
    for line in body[:-1]:
        if len(line) != _COLUMNS:
            raise ArmorError("armor lines before the last must be exactly 64 columns")
    if body and not 0 < len(body[-1]) <= _COLUMNS:
        raise ArmorError("armor last line must have 1 to 64 columns")
    encoded = b"".join(body)
    if len(encoded) % 4 or not _B64_PADDED.fullmatch(encoded):
        raise ArmorError("armor body is not padded base64")
    try:
        data = binascii.a2b_base64(encoded, strict_mode=True)
    except binascii.Error:
        raise ArmorError("armor body is not valid base64") from None
    if binascii.b2a_base64(data, newline=False) != encoded:
        raise ArmorError("armor base64 is not canonical")
    return data
