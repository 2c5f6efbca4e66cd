"""The reason form (break-the-glass): a short list and free text, posted with a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from app.accesslog.reasons import MAX_TEXT, REASONS, Reason, ReasonRefused, reason_from


class ReasonFields:
    """The two fields, to mix into any form that must ask why (the export form too)."""

    access_reason = SelectField(
        _l("Why do you need this?"),
        choices=[("", _l("Choose a reason"))] + list(REASONS.items()),
        validate_choice=False,
    )
    access_reason_text = TextAreaField(
        _l("Say more (required for “Other”)"), validators=[Optional(), Length(max=MAX_TEXT)]
    )

    def stated_reason(self) -> Reason:
        return reason_from(self.access_reason.data, self.access_reason_text.data)

    def validate_access_reason(self, field) -> None:
        try:
            self.stated_reason()
        except ReasonRefused as exc:
            raise ValidationError(str(exc)) from None


class ReasonForm(ReasonFields, FlaskForm):
    """The form alone: revealing an identity, downloading an original."""
