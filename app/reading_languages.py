"""A person's reading languages: the BCP 47 codes they read, most preferred first.

Chosen from the list of app/language_codes.py on the settings page (stored as "ar en fr" in
users.reading_languages). Where Custos chooses a language for someone — which translation of a
testimony to show first after the original, the language of a label that has none in the
interface language — it asks `preferred_reading_languages(user)`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.language_codes import MAX_CODES, canonical_code, join_codes, split_codes
from app.service_errors import ServiceError


def preferred_reading_languages(user: Any) -> list[str]:
    """The codes `user` reads, most preferred first: those chosen in their settings, in their
    order, then their interface language if they did not list it. Never empty ("en" at least);
    codes no longer on the list are left out."""
    stored = split_codes(getattr(user, "reading_languages", "") or "")
    chosen = [code for code in (canonical_code(part) for part in stored) if code]
    interface = canonical_code(getattr(user, "language", "") or "") or "en"
    return list(dict.fromkeys([*chosen[:MAX_CODES], interface]))


class ReadingLanguagesRefused(ServiceError):
    """A chosen reading language is not on the list, or there are too many."""


def clean_reading_languages(values: list[str] | None) -> str:
    """The stored form ("ar en") of codes chosen from the list, in the order given."""
    wanted = list(dict.fromkeys(value.strip() for value in values or [] if value and value.strip()))
    codes = [canonical_code(value) for value in wanted]
    if any(code is None for code in codes):
        raise ReadingLanguagesRefused(
            _("Choose your reading languages from the list."), "reading_languages"
        )
    if len(codes) > MAX_CODES:
        raise ReadingLanguagesRefused(
            _("Choose at most %(n)s reading languages.", n=MAX_CODES), "reading_languages"
        )
    return join_codes([code for code in codes if code])
