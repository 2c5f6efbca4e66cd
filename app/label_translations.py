"""Labels of shipped data (taxonomy terms, crimes) in the reader's language, English as fallback."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale

# The interface's languages other than English; each translated label has one column per code.
LABEL_LANGUAGES = ("ar", "ru")


def reader_language() -> str:
    """The reader's interface language ("en" outside a request: jobs and the CLI)."""
    if not has_request_context():
        return "en"
    locale = get_locale()
    return locale.language if locale is not None else "en"


def in_reader_language(record: object, field: str) -> str:
    """record.<field>_<lang> for the reader's language when filled in, else the English one."""
    english = getattr(record, field)
    language = reader_language()
    if language not in LABEL_LANGUAGES:
        return english
    return (getattr(record, f"{field}_{language}", "") or "").strip() or english
