"""Forms of the token section of the settings page: make a token, revoke one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.api.tokens.services import MAX_NAME
from app.auth.forms import ReauthForm

SCOPE_CHOICES = [
    ("read", _l("Read only")),
    ("read write", _l("Read and write (record incidents, witnesses, interviews, upload)")),
]


class NewTokenForm(ReauthForm):
    name = StringField(
        _l("Name (what the token is for, such as the phone it is on)"),
        validators=[DataRequired(), Length(max=MAX_NAME)],
        render_kw={"autocomplete": "off"},
    )
    scope = SelectField(_l("Access"), choices=SCOPE_CHOICES, default="read")
    expires_on = DateField(
        _l("Expires on (the end of that day, UTC; without a date, the longest allowed)"),
        validators=[Optional()],
    )


class RevokeTokenForm(FlaskForm):
    token_id = HiddenField(validators=[DataRequired(), Length(max=36)])
