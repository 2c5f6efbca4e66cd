"""Forms for signing in, the second factor, setting a password and one's own settings."""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app.security.passwords import MAX_PASSWORD_LENGTH

LANGUAGES = [("en", "English"), ("ar", "العربية"), ("ru", "Русский")]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    next = HiddenField()


class EnrollForm(FlaskForm):
    code = StringField(
        _l("6-digit code shown by your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class SetPasswordForm(FlaskForm):
    token = StringField(
        _l("Set-password code (from your link)"), validators=[DataRequired(), Length(max=128)]
    )
    password = PasswordField(
        _l("New password (at least 12 characters)"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    password = PasswordField(
        _l("New password (at least 12 characters)"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGES)
    # Codes chosen from app/language_codes.py's list (choices set by the view, in the reader's
    # language); the service refuses a code not on the list.
    reading_languages = SelectMultipleField(
        _l("Languages you read, most preferred first"),
        choices=[],
        validate_choice=False,
        render_kw={"size": 8},
    )

    def set_reading_choices(self, choices: list[tuple[str, str]], chosen: list[str]) -> None:
        """Offer `choices`, the ones chosen first in their order (a multiple select keeps the
        order of its options, so the preference order shows and is sent back as it is)."""
        by_code = dict(choices)
        first = [(code, by_code[code]) for code in chosen if code in by_code]
        self.reading_languages.choices = first + [c for c in choices if c[0] not in chosen]


class EndSessionsForm(FlaskForm):
    """Sign out another browser (by its public id) or all others ("others"), password again."""

    # Rendered as a <select> of the live sessions by templates/auth/settings.html.
    session = StringField(
        _l("Sign out"), validators=[DataRequired(), Regexp(r"^(others|[0-9a-f]{16})$")]
    )
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class ReauthForm(FlaskForm):
    """The password again, and a TOTP code where one is enrolled, before a lasting credential
    (an API token, new recovery codes) is made: an unattended session is not enough."""

    current = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your authenticator app (if you use one)"),
        validators=[Optional(), Length(max=8)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ConfirmForm(FlaskForm):
    """An empty form: a button whose POST carries only the CSRF token."""

    @classmethod
    def require(cls) -> None:
        """400 unless this request is the button's valid POST."""
        if not cls().validate_on_submit():
            abort(400)
