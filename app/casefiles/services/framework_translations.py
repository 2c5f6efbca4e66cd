"""Arabic and Russian of a framework's title, crime titles and element texts, edited by admins.

The English text is the framework's paraphrase and never changes once stored (case files point
at it); the translations beside it are reading aids that admins may write or correct at any
time. One edit sets one text in both languages.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from app.casefiles.models import LegalFramework
from app.casefiles.services.errors import CaseFileError
from app.extensions import db
from app.intake.textinput import clean_line
from app.label_translations import LABEL_LANGUAGES

# "framework", "crime-12", "element-40": which text of the framework an edit is about.
TARGET = re.compile(r"^(framework|crime|element)(?:-(\d{1,12}))?$")
LIMITS = {"title": 300, "text": 4000}


class TranslationRefused(CaseFileError):
    """An edit refused before anything changed; the message says why."""


def translated_row(framework: LegalFramework, target: str) -> tuple[Any, str]:
    """(row, field) an edit is about, if it belongs to `framework`; else refused."""
    match = TARGET.match(target or "")
    if match is None or (match.group(1) == "framework") != (match.group(2) is None):
        raise TranslationRefused(_("No such text in this framework."))
    kind, number = match.group(1), match.group(2)
    if kind == "framework":
        return framework, "title"
    for crime in framework.crimes:
        if kind == "crime" and crime.id == int(number):
            return crime, "title"
        for element in crime.elements:
            if kind == "element" and element.id == int(number):
                return element, "text"
    raise TranslationRefused(_("No such text in this framework."))


def update_translation(
    framework: LegalFramework, target: str, texts: dict[str, str | None], clear: bool
) -> Any:
    """Set the Arabic and Russian of one text. Both left empty is refused unless `clear` (the
    reader then sees English): an emptied form never wipes translations by accident."""
    row, field = translated_row(framework, target)
    cleaned = {lang: " ".join(clean_line(texts.get(lang)).split()) for lang in LABEL_LANGUAGES}
    if not any(cleaned.values()) and not clear:
        raise TranslationRefused(
            _("Write the Arabic or the Russian, or tick “Show the English text” to remove both."),
            "text_ar",
        )
    if clear:
        cleaned = dict.fromkeys(LABEL_LANGUAGES, "")
    if any(len(value) > LIMITS[field] for value in cleaned.values()):
        raise TranslationRefused(
            _("A translation has at most %(n)s characters.", n=LIMITS[field]), "text_ar"
        )
    for lang, value in cleaned.items():
        setattr(row, f"{field}_{lang}", value)
    db.session.flush()
    return row
