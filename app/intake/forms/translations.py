"""Translation forms: a draft (its text, languages and method) and the reviser's seal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from app.intake.models import Translation, TranslationMethod
from app.intake.services.translations import TranslationInput, TranslationSource

METHOD_CHOICES = [
    (TranslationMethod.HUMAN.value, _l("Human: translated by me")),
    (
        TranslationMethod.MACHINE.value,
        _l("Machine: made by a translation program (name it and its version), then checked by me"),
    ),
]


class TranslationForm(FlaskForm):
    # What it translates (the testimony, or an addendum's id) and the hash shown to the
    # translator: a hash that is no longer that text's is refused (services/translations.py).
    source = HiddenField()
    source_hash = HiddenField()
    supersedes_id = HiddenField()
    source_language = SelectField(_l("From"), choices=[], validate_choice=False)
    target_language = SelectField(_l("Into"), choices=[], validate_choice=False)
    # Not "method": a form control of that name would hide the form's own `method` property
    # from scripts (DOM named properties), as an "action" control would hide `action`.
    translated_by = RadioField(
        _l("Method"), choices=METHOD_CHOICES, default=TranslationMethod.HUMAN.value
    )
    engine = StringField(_l("Translation program (machine translation only)"))
    engine_version = StringField(_l("Its version"))
    text = TextAreaField(_l("Translation"), render_kw={"rows": 16, "dir": "auto"})

    def to_input(self) -> TranslationInput:
        return TranslationInput(
            source_language=self.source_language.data or "",
            target_language=self.target_language.data or "",
            text=self.text.data or "",
            method=self.translated_by.data or "",
            engine=self.engine.data or "",
            engine_version=self.engine_version.data or "",
        )

    def to_source(self) -> TranslationSource:
        return TranslationSource(
            source=self.source.data or "",
            source_hash=self.source_hash.data or "",
            supersedes_id=self.supersedes_id.data or None,
        )

    def fill_from(self, translation: Translation) -> None:
        self.source_language.data = translation.source_language
        self.target_language.data = translation.target_language
        self.translated_by.data = translation.method
        self.engine.data = translation.engine or ""
        self.engine_version.data = translation.engine_version or ""
        self.text.data = translation.text or ""


class SealTranslationForm(FlaskForm):
    confirm = BooleanField(
        _l(
            "I have compared this translation with the original. I understand it cannot be"
            " changed after sealing."
        ),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
