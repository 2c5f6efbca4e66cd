"""Witness identities kept out of what an export writes (issue 16, item 6): withhold, never
rewrite.

- Free text written about witnesses (titles, notes, file names, transcripts, report text) is
  scrubbed for the WHOLE names, contacts, places and birth dates of the case file's witnesses,
  on raw values, before any HTML escaping (so `Sa'id` or `Hassan & sons` are found as typed).
  A name matches whatever diacritics (tashkeel), tatweel or bidi/format marks sit inside it,
  whichever apostrophe, dash or alef/ya form is used, and across line breaks. Parts of names
  are never matched: a staff member who shares a first name with a witness stays unedited.
- Recorded values (metadata as extracted, staff identities, ledger bodies) are never edited:
  a field that would disclose a witness is withheld whole, and the caller lists it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Combining marks (Latin and Arabic diacritics), tatweel, and invisible format characters
# (zero-width, bidi embeddings, overrides and isolates, the Arabic letter mark, BOM).
_MARKS = (
    "\u0300-\u036f\u0610-\u061a\u061c\u0640\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
)
_MARK_RE = re.compile(f"[{_MARKS}]")
_GAP = f"[{_MARKS}]*"
# Letters written several ways for the same name.
_VARIANTS = [
    "'\u2019\u2018\u02bc`\u00b4",  # apostrophes
    "-\u2010\u2011\u2012\u2013\u2014",  # dashes
    "\u0627\u0623\u0625\u0622\u0671",  # alef with and without hamza or madda
    "\u064a\u0649",  # ya, alef maqsura
    "\u0629\u0647",  # ta marbuta, ha
]
_VARIANT_OF = {ch: group for group in _VARIANTS for ch in group}


def _letter(ch: str) -> str:
    group = _VARIANT_OF.get(ch)
    return f"[{re.escape(group)}]" if group else re.escape(ch)


def name_pattern(needle: str) -> str | None:
    """A regex matching `needle` as a whole (never inside a longer word), marks ignored."""
    words = _MARK_RE.sub("", needle).split()
    if not words or len("".join(words)) < 2:
        return None
    digits = re.sub(r"\D", "", needle)
    if len(digits) >= 6 and len(digits) >= len(needle.strip()) // 2:
        # A phone number written with other separators: +963 944-123 456 / 963944123456.
        return r"\+?" + r"[\s\-./()]*".join(digits)
    body = f"{_GAP}\\s+{_GAP}".join(_GAP.join(_letter(ch) for ch in word) for word in words)
    return rf"(?<!\w){_GAP}{body}(?!\w)"


class Scrubber:
    """Built once per export from (identity string, label) pairs."""

    def __init__(self, replacements: Iterable[tuple[str, str]] = ()) -> None:
        patterns = []
        self._labels: dict[str, str] = {}
        for needle, label in sorted(set(replacements), key=lambda pair: -len(pair[0])):
            pattern = name_pattern(needle)
            if pattern:
                group = f"g{len(patterns)}"
                patterns.append(f"(?P<{group}>{pattern})")
                self._labels[group] = label
        self._regex = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def text(self, value: str | None) -> str:
        """Free text with every identity string replaced by "[W-0001 identity withheld]"."""
        if not value or self._regex is None:
            return value or ""
        return self._regex.sub(lambda m: f"[{self._labels[m.lastgroup]} withheld]", value)

    def discloses(self, value: str | None) -> bool:
        return bool(value and self._regex is not None and self._regex.search(value))

    def withhold(self, value: Any, path: str = "") -> tuple[Any, list[str]]:
        """A recorded JSON-like value with each string that would disclose a witness replaced
        by None (whole, never edited); returns it and the dotted paths of what was withheld."""
        if isinstance(value, str):
            return (None, [path or "value"]) if self.discloses(value) else (value, [])
        withheld: list[str] = []
        if isinstance(value, dict):
            out = {}
            for key, inner in value.items():
                out[key], found = self.withhold(inner, f"{path}.{key}" if path else str(key))
                withheld += found
            return out, withheld
        if isinstance(value, (list, tuple)):
            items = []
            for index, inner in enumerate(value):
                clean, found = self.withhold(inner, f"{path}[{index}]")
                items.append(clean)
                withheld += found
            return items, withheld
        return value, []


def identity_replacements(witness: Any, named: bool) -> list[tuple[str, str]]:
    """(string, label) pairs to scrub for one witness: whole values only; a named witness
    keeps their name (their contact, place and birth date stay withheld)."""
    label = f"{witness.code} identity"
    out: list[tuple[str, str]] = []
    if witness.full_name and not named:
        out.append((witness.full_name, label))
    for value in (witness.contact, witness.current_location, witness.date_of_birth):
        if value and len(value.strip()) >= 4:
            out.append((value.strip(), label))
            # Several contacts or an address on several lines: each line is a whole value.
            out += [(part.strip(), label) for part in value.splitlines() if len(part.strip()) >= 6]
    return out
