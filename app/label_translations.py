"""Labels of shipped data (taxonomy terms, crimes) in the reader's language, English as fallback."""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import get_locale

from app.reading_languages import preferred_reading_languages

# The interface's languages other than English; each translated label has one column per code.
LABEL_LANGUAGES = ("ar", "ru")


def reader_language() -> str:
    """The reader's interface language ("en" outside a request: jobs and the CLI)."""
    if not has_request_context():
        return "en"
    locale = get_locale()
    return locale.language if locale is not None else "en"


def label_languages() -> tuple[str, ...]:
    """The label languages to try, in order: the interface language, then the reader's other
    reading languages that labels have (a Russian-interface reader who also reads Arabic sees an
    Arabic label before an English one); English comes last, always filled in."""
    if not has_request_context():
        return ()
    if "label_languages" not in g:
        from flask_login import current_user

        wanted = [reader_language()]
        if current_user and current_user.is_authenticated:
            wanted += preferred_reading_languages(current_user)
        g.label_languages = tuple(
            code for code in dict.fromkeys(wanted) if code in LABEL_LANGUAGES or code == "en"
        )
    return g.label_languages


def in_reader_language(record: object, field: str) -> str:
    """record.<field>_<lang> for the reader's first label language filled in, else English."""
    english = getattr(record, field)
    for language in label_languages():
        if language == "en":
            return english
        shown = (getattr(record, f"{field}_{language}", "") or "").strip()
        if shown:
            return shown
    return english
