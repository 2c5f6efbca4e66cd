"""Forms of the phone-devices section of the settings page: add a device, revoke one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.auth.forms import ReauthForm
from app.openrosa.devices import MAX_NAME


class NewDeviceForm(ReauthForm):
    name = StringField(
        _l("Name (the phone it is for)"),
        validators=[DataRequired(), Length(max=MAX_NAME)],
        render_kw={"autocomplete": "off"},
    )
    # Choices: the investigations where the user is a field member (set by the view).
    investigation_id = SelectField(_l("Investigation"), choices=[], validate_choice=False)
    expires_on = DateField(
        _l("Expires on (the end of that day, UTC; without a date, the longest allowed)"),
        validators=[Optional()],
    )


class RevokeDeviceForm(FlaskForm):
    device_id = HiddenField(validators=[DataRequired(), Length(max=36)])
