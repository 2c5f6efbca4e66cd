"""Languages of testimony as BCP 47 codes: the list people choose from, names, free-text reading.

Codes are BCP 47 language subtags (RFC 5646 §2.2.1, ISO 639) as Babel's CLDR data lists them:
"ar", "ku", "ckb", "en". A spoken language is chosen from this list, never typed, so a
lawyer filtering Arabic testimony finds "ar" whether the interviewer wrote "Arabic",
"عربي" or "арабский". Names come from CLDR too: each language in its own name (what the
witness would recognise) and in the reader's (what the person choosing reads).
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError, localedata

# Not languages a person speaks: "undetermined", "no linguistic content", "multiple", and
# "miscellaneous" (CLDR lists them with the languages).
SPECIAL_CODES = frozenset({"und", "zxx", "mul", "mis"})
# Offered first: the languages of the investigations Custos serves today, then the readers'.
COMMON_CODES = ("ar", "ku", "ckb", "tr", "fa", "en", "fr", "ru")
# Spellings people wrote in the free-text field before codes that CLDR does not list.
ALIASES = {
    "farsi": "fa",
    "kurmanji": "ku",
    "kurdish (kurmanji)": "ku",
    "sorani": "ckb",
    "kurdish (sorani)": "ckb",
    "turkmen": "tk",
    "syriac": "syc",
    "عربي": "ar",
    "العربيه": "ar",
    "كردي": "ku",
}
# Names read when turning free text into codes (the interface's languages and French).
NAME_LOCALES = ("en", "ar", "ru", "fr")
SEPARATORS = re.compile(r"\s*(?:,|;|/|\+|&|\band\b|\bو\b|\bи\b)\s*", re.IGNORECASE)
MAX_CODES = 6


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """Every language subtag CLDR names in English, less the special ones."""
    return frozenset(
        code for code in Locale("en").languages if "_" not in code and code not in SPECIAL_CODES
    )


def canonical_code(value: str) -> str | None:
    """The code as stored (lower case, RFC 5646 §2.1.1), if it is one of the list; else None."""
    code = (value or "").strip().lower().replace("_", "-")
    return code if code in known_codes() else None


def split_codes(value: str) -> list[str]:
    """The codes of a stored or submitted list ("ar ku", "ar,ku"), in order, without repeats."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,]+", value or "") if part))


def join_codes(codes: list[str]) -> str:
    return " ".join(codes)


@lru_cache(maxsize=512)
def own_name(code: str) -> str:
    """The language's name in itself ("العربية", "Kurdî"), or "" when CLDR has none."""
    if not localedata.exists(code):
        return ""
    try:
        return Locale.parse(code).get_display_name(code) or ""
    except (UnknownLocaleError, ValueError):
        return ""


def reader_name(code: str, reader: str) -> str:
    """The language's name in the reader's language, falling back to English, then the code."""
    return _names(reader).get(code) or _names("en").get(code) or code


@lru_cache(maxsize=8)
def _names(reader: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(reader).languages)
    except (UnknownLocaleError, ValueError):
        return {}


def label(code: str, reader: str) -> str:
    """ "العربية · Arabic (ar)": own name, reader's name, code; the own name once if they agree."""
    theirs = reader_name(code, reader)
    mine = own_name(code)
    if mine and mine.casefold() != theirs.casefold():
        return f"{mine} · {theirs} ({code})"
    return f"{theirs} ({code})"


@lru_cache(maxsize=8)
def choices(reader: str) -> tuple[tuple[str, str], ...]:
    """(code, label) for a select: the common languages first, then all others by name."""
    common = [code for code in COMMON_CODES if code in known_codes()]
    rest = sorted(known_codes() - set(common), key=lambda code: reader_name(code, reader))
    return tuple((code, label(code, reader)) for code in [*common, *rest])


def labels(value: str, reader: str) -> list[str]:
    """The labels of a stored list of codes, for pages and reports."""
    return [label(code, reader) for code in split_codes(value)]


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    found: dict[str, str] = {}
    for locale in NAME_LOCALES:
        for code, name in Locale(locale).languages.items():
            if "_" not in code and code not in SPECIAL_CODES:
                found.setdefault(name.casefold(), code)
    for code in COMMON_CODES:
        name = own_name(code)
        if name:
            found.setdefault(name.casefold(), code)
    found.update(ALIASES)
    return found


def codes_from_text(text: str) -> list[str] | None:
    """Codes for what a person wrote ("Arabic", "Arabic and Kurdish", "ar"); None if any part
    is not a language recognised by code or by name (left for a person to choose)."""
    parts = [part for part in SEPARATORS.split((text or "").strip()) if part]
    if not parts:
        return []
    codes: list[str] = []
    for part in parts:
        code = canonical_code(part) or _codes_by_name().get(part.strip().casefold())
        if code is None:
            return None
        codes.append(code)
    return list(dict.fromkeys(codes))


# "العربية · Arabic (ar)": the code a label of `label()` ends with.
LABEL_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\)\s*$")


def code_from_entry(text: str) -> str:
    """The code of what a person typed into, or picked from, a list of labels: "ar",
    "العربية · Arabic (ar)", "Arabic". The text itself when it names no one language, so the
    service refuses it by name; "" when nothing was typed."""
    text = (text or "").strip()
    if not text:
        return ""
    code = canonical_code(text)
    if code is None and (match := LABEL_CODE.search(text)):
        code = canonical_code(match.group(1))
    if code is None:
        codes = codes_from_text(text)
        code = codes[0] if codes and len(codes) == 1 else None
    return code or text
