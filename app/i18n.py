"""Language selection for Flask-Babel and the locale-aware date and number filters of templates."""

from __future__ import annotations

from datetime import date, datetime
from numbers import Number

import flask_babel
from babel.dates import get_datetime_format
from flask import Flask, current_app, has_request_context, request
from flask_login import current_user

from app.language_codes import label as language_label

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


def select_locale() -> str | None:
    """The signed-in person's saved language, else the browser's best match, else English.

    Outside a request (a job rendering a report, a CLI command) there is no person or browser:
    the default language, rather than an error.
    """
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["BABEL_SUPPORTED_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.language in supported:
        return current_user.language
    return request.accept_languages.best_match(supported) or "en"


def display_date(value: date | datetime | None, format: str = "long") -> str:
    """A calendar date in the reader's language ("March 5, 2015", "5 مارس 2015").

    The default spells the month out: a numeric 05/03/2015 reads as 5 March to one reader and
    3 May to another, and these dates end up in witness statements and court files.
    None gives "" because Flask-Babel would format None as today, inventing a date.
    """
    if value is None:
        return ""
    return flask_babel.format_date(value, format, rebase=False)


def display_datetime(value: datetime | date | None, seconds: bool = False) -> str:
    """A moment in the reader's language: the long date and the local clock style.

    Shown as stored, never shifted to another zone: records keep naive UTC (the templates say
    "UTC" beside them) and an incident keeps the local time at the place where it happened.
    """
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return display_date(value)
    day = flask_babel.format_date(value, "long", rebase=False)
    clock = flask_babel.format_time(value, "medium" if seconds else "short", rebase=False)
    pattern = get_datetime_format("medium", locale=flask_babel.get_locale() or "en")
    return pattern.replace("{1}", day).replace("{0}", clock)


def display_number(value: Number | None) -> str:
    """A count or measure with the reader's digit grouping and decimal sign."""
    if value is None:
        return ""
    return flask_babel.format_decimal(value)


def display_language(code: str | None) -> str:
    """A BCP 47 code as "own name · reader's name (code)" in the reader's language."""
    if not code:
        return "—"
    return language_label(code, str(flask_babel.get_locale() or "en"))


def register_locale_filters(app: Flask) -> None:
    """Templates write `x|date`, `x|datetime`, `x|datetime(seconds=True)`, `n|number` and
    `code|language_label`."""
    app.jinja_env.filters.update(
        date=display_date,
        datetime=display_datetime,
        number=display_number,
        language_label=display_language,
    )
