"""Language selection for Flask-Babel: the user's saved choice, else the browser's."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user


def select_locale() -> str | None:
    supported = current_app.config["BABEL_SUPPORTED_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.language in supported:
        return current_user.language
    return request.accept_languages.best_match(supported) or "en"


RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
