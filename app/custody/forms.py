"""The ledger page's forms: the filter (GET, no CSRF token) and acknowledging an alarm."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from app.custody.ledger import CustodyAction
from app.custody.timeline import LedgerFilter, actor_filter_value, day_range
from app.investigations.viewer import InvestigationViewer
from app.vocabulary.labels import label_of


def _within_float(form, field) -> None:
    """NumberRange compares through float(), which a number of 400 digits overflows."""
    if field.data is not None and abs(field.data) > 10**15:
        raise StopValidation(_l("Number must be between 1 and 1000000."))


class LedgerFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[("", _l("any"))], validators=[Optional()])
    object_type = SelectField(_l("Object type"), choices=[("", _l("any"))], validators=[Optional()])
    object_id = StringField(
        _l("Object id"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9._:-]+$", message=_l("Not an id.")),
        ],
    )
    actor = StringField(_l("Actor (email or system:…)"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From (UTC)"), validators=[Optional()])
    until = DateField(_l("Until (UTC, inclusive)"), validators=[Optional()])
    page = IntegerField(
        _l("Page"), validators=[Optional(), _within_float, NumberRange(min=1, max=1_000_000)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The actions in the reader's language (labels are data: app/taxonomy).
        self.action.choices = [("", _l("any"))] + [
            (action.value, label_of("custody_action", action.value)) for action in CustodyAction
        ]

    def set_object_types(self, object_types: list[str]) -> None:
        self.object_type.choices = [("", _l("any"))] + [(t, t) for t in object_types]

    def to_filter(self, viewer: InvestigationViewer) -> LedgerFilter:
        """What to show: the valid form's choices, else everything (the errors say why)."""
        if not self.validate():
            return LedgerFilter()
        since, until = day_range(self.since.data, self.until.data)
        return LedgerFilter(
            action=self.action.data or None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data or None,
            actor_id=actor_filter_value(self.actor.data, viewer) if self.actor.data else None,
            since=since,
            until=until,
        )

    def page_number(self) -> int:
        return self.page.data if not self.page.errors and self.page.data else 1


class AcknowledgeAlarmForm(FlaskForm):
    """An admin's note that they have looked at a broken ledger (POST, CSRF-protected)."""

    note = StringField(
        _l("What you found or did"),
        validators=[DataRequired(), Length(max=500)],
    )
