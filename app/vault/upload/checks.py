"""What intake checks before reading a byte: the file name, the declared size, the capture facts.

Each refusal is an IntakeRefused with a message the uploader can act on; nothing is stored.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import current_app

from app.crypto.canonical import canonical_json
from app.vault.upload.refusals import IntakeRefused

MAX_FILENAME_BYTES = 255
# Unicode bidirectional overrides and isolates: invisible, and able to make "gpj.exe" display
# as "exe.jpg". Other format characters (ZWNJ in Persian names, emoji joiners) stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FACT_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_FACTS = 20
MAX_FACT_CHARS = 1000
MAX_FACTS_JSON = 8192


def format_size(size: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def max_upload_bytes() -> int:
    return int(current_app.config["CUSTOS_MAX_UPLOAD_BYTES"])


def too_large(limit: int) -> IntakeRefused:
    return IntakeRefused(
        "too_large",
        f"This file is larger than the {format_size(limit)} this server accepts per file.",
    )


def empty_file() -> IntakeRefused:
    return IntakeRefused("empty_file", "This file is empty (0 bytes); nothing was stored.")


# --- Checks made before any byte is read ---------------------------------------------------


def check_filename(filename: str | None) -> str:
    """The original name, kept as sent, unless it could act as a path or hide characters."""
    if filename is None or not filename.strip():
        raise IntakeRefused("bad_filename", "The file has no name. Choose the file again.")
    if len(filename.encode("utf-8", "surrogatepass")) > MAX_FILENAME_BYTES:
        raise IntakeRefused(
            "bad_filename", f"The file name is longer than {MAX_FILENAME_BYTES} bytes; rename it."
        )
    # Cc: C0/C1 controls (NUL, CR, LF, ...); Zl/Zp: the Unicode line and paragraph separators.
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in filename):
        raise IntakeRefused(
            "bad_filename",
            "The file name contains control characters (such as a line break or NUL); "
            "rename the file and try again.",
        )
    if any(ch in _BIDI_CONTROLS for ch in filename):
        raise IntakeRefused(
            "bad_filename",
            "The file name contains invisible text-direction characters that can disguise "
            "its extension; rename the file and try again.",
        )
    # A name of dots alone ("..", "....") names a folder, or nothing once Windows drops them.
    if "/" in filename or "\\" in filename or not filename.strip().strip("."):
        raise IntakeRefused(
            "bad_filename",
            "The file name contains a path (/, \\ or ..); only a plain file name is accepted.",
        )
    return filename


def shown_filename(filename: str) -> str:
    """A received name as a page may echo it: without the characters check_filename refuses.

    A refused name is shown back to the person who sent it; a right-to-left override or a
    line break in it must not rearrange or split the page's text.
    """
    shown = "".join(
        ch
        for ch in filename
        if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp")
    )
    return shown if len(shown) <= MAX_FILENAME_BYTES else shown[:MAX_FILENAME_BYTES] + "…"


def check_declared_size(declared_size: int | None) -> None:
    if declared_size is None:
        return
    if declared_size < 0:
        raise IntakeRefused("bad_request", "The declared file size is negative.")
    if declared_size == 0:
        raise empty_file()
    limit = max_upload_bytes()
    if declared_size > limit:
        raise too_large(limit)


def clean_client_facts(facts: dict | None) -> dict | None:
    """What the client says about the capture (device time, GPS, who captured), checked.

    Kept verbatim beside what Custos extracts from the file, never merged with it.
    """
    if facts is None:
        return None
    if not isinstance(facts, dict):
        raise IntakeRefused("bad_request", "Capture facts must be a JSON object.")
    cleaned: dict[str, Any] = {}
    for key, value in facts.items():
        if not isinstance(key, str) or not _FACT_KEY.fullmatch(key):
            raise IntakeRefused(
                "bad_request", "Capture fact names are lowercase words (a-z, 0-9, _)."
            )
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
            if len(value) > MAX_FACT_CHARS or any(
                unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value
            ):
                raise IntakeRefused("bad_request", f"The capture fact {key!r} is not valid.")
        elif value is not None and not isinstance(value, bool | int | float):
            raise IntakeRefused("bad_request", f"The capture fact {key!r} is not valid.")
        elif value is None:
            continue
        cleaned[key] = value
    if len(cleaned) > MAX_FACTS:
        raise IntakeRefused("bad_request", f"At most {MAX_FACTS} capture facts are accepted.")
    try:
        encoded = canonical_json(cleaned)
    except (TypeError, ValueError):
        raise IntakeRefused("bad_request", "Capture facts must be plain JSON values.") from None
    if len(encoded) > MAX_FACTS_JSON:
        raise IntakeRefused("bad_request", "The capture facts are too long.")
    return cleaned or None
