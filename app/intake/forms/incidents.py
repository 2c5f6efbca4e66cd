"""Incident form and the incident list's filter form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Optional

from app.intake.forms.fields import MultiCheckboxField
from app.intake.models import Incident, TimeCertainty
from app.intake.services.incidents import IncidentInput
from app.intake.services.search import IncidentFilters

TIME_CERTAINTY_CHOICES = [
    (TimeCertainty.EXACT.value, _l("Exact date and time")),
    (TimeCertainty.ABOUT.value, _l("About a time, give or take")),
    (TimeCertainty.RANGE.value, _l("Between two times (the same day or several)")),
    (TimeCertainty.DAY.value, _l("The day, not the time")),
    (TimeCertainty.DAYS.value, _l("Between two days, times not known")),
]
UNCERTAINTY_CHOICES = [
    ("", _l("— how far off? —")),
    ("5", _l("± 5 minutes")),
    ("15", _l("± 15 minutes")),
    ("30", _l("± 30 minutes")),
    ("60", _l("± 1 hour")),
    ("120", _l("± 2 hours")),
    ("180", _l("± 3 hours")),
    ("360", _l("± 6 hours")),
    ("720", _l("± 12 hours")),
]


def _minutes(value: str | None) -> int | None:
    """The chosen margin in minutes; anything that is not a whole number is no choice."""
    return int(value) if value and value.isdigit() and len(value) <= 5 else None


YES_NO_ANY = [("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))]


class IncidentForm(FlaskForm):
    client_id = HiddenField()
    time_certainty = RadioField(
        _l("How precisely is the time known?"),
        choices=TIME_CERTAINTY_CHOICES,
        default=TimeCertainty.DAY.value,
    )
    start_date = DateField(_l("Date (start of the range)"), validators=[Optional()])
    start_time = TimeField(_l("Local time"), validators=[Optional()])
    end_date = DateField(_l("End date (for a range)"), validators=[Optional()])
    end_time = TimeField(_l("End time (optional)"), validators=[Optional()])
    uncertainty_minutes = SelectField(
        _l("Give or take (for an approximate time)"),
        choices=UNCERTAINTY_CHOICES,
        validate_choice=False,
    )
    place_name = StringField(_l("Place name"), render_kw={"autocomplete": "off"})
    admin_area = StringField(
        _l("Administrative area (governorate)"),
        render_kw={"list": "known-areas", "autocomplete": "off"},
    )
    latitude = FloatField(
        _l("Latitude"), validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    longitude = FloatField(
        _l("Longitude"), validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    precision_m = IntegerField(
        _l("Precision of the coordinates (metres)"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    perpetrators = TextAreaField(_l("Alleged perpetrator(s), one per line"), render_kw={"rows": 2})
    weapon_code = SelectField(_l("Weapon or munition"), choices=[], validate_choice=False)
    target_codes = MultiCheckboxField(_l("Target or object affected"), choices=[])
    target_note = StringField(
        _l("If “Other”: what was it?"), render_kw={"autocomplete": "off", "maxlength": 200}
    )
    killed = IntegerField(
        _l("Civilians killed"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    injured = IntegerField(
        _l("Civilians injured"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    casualties_reported_by = StringField(_l("Casualty figures reported by"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 6})
    # Asked only when incidents like this one exist (app/intake/services/similar_incidents.py).
    not_a_duplicate = BooleanField(_l("This is a different incident: record it anyway"))

    def set_choices(self, weapons: list, targets: list) -> None:
        self.weapon_code.choices = [("", _l("— choose —"))] + [
            (w.code, w.shown_label) for w in weapons
        ]
        self.target_codes.choices = [(t.code, t.shown_label) for t in targets]

    def fill_from(self, incident: Incident) -> None:
        self.time_certainty.data = incident.time_certainty
        self.start_date.data = incident.occurred_from.date()
        with_time = incident.time_certainty not in (TimeCertainty.DAY, TimeCertainty.DAYS)
        if with_time:
            self.start_time.data = incident.occurred_from.time()
        if incident.occurred_to is not None:
            self.end_date.data = incident.occurred_to.date()
            if with_time:
                self.end_time.data = incident.occurred_to.time()
        if incident.uncertainty_minutes:
            self.uncertainty_minutes.data = str(incident.uncertainty_minutes)
        for name in (
            "place_name",
            "admin_area",
            "latitude",
            "longitude",
            "precision_m",
            "weapon_code",
            "killed",
            "injured",
            "casualties_reported_by",
            "description",
            "target_note",
        ):
            getattr(self, name).data = getattr(incident, name)
        self.perpetrators.data = "\n".join(incident.perpetrators)
        self.target_codes.data = [t.code for t in incident.targets]

    def to_input(self) -> IncidentInput:
        return IncidentInput(
            time_certainty=self.time_certainty.data or "",
            start_date=self.start_date.data,
            start_time=self.start_time.data,
            end_date=self.end_date.data,
            end_time=self.end_time.data,
            uncertainty_minutes=_minutes(self.uncertainty_minutes.data),
            place_name=self.place_name.data or "",
            admin_area=self.admin_area.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            precision_m=self.precision_m.data,
            perpetrators=(self.perpetrators.data or "").splitlines(),
            weapon_code=self.weapon_code.data or None,
            target_codes=list(self.target_codes.data or []),
            target_note=self.target_note.data or "",
            killed=self.killed.data,
            injured=self.injured.data,
            casualties_reported_by=self.casualties_reported_by.data or "",
            description=self.description.data or "",
        )


class IncidentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(_l("Search place, area or perpetrator"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
    area = StringField(
        _l("Governorate / area"), validators=[Optional()], render_kw={"list": "known-areas"}
    )
    weapon = SelectField(_l("Weapon"), choices=[], validators=[Optional()])
    target = SelectField(_l("Target type"), choices=[], validators=[Optional()])
    perpetrator = StringField(
        _l("Perpetrator"), validators=[Optional()], render_kw={"list": "known-perpetrators"}
    )
    has_photo = SelectField(_l("Has photos"), choices=YES_NO_ANY, validators=[Optional()])
    has_video = SelectField(_l("Has video"), choices=YES_NO_ANY, validators=[Optional()])
    has_testimony = SelectField(_l("Has testimony"), choices=YES_NO_ANY, validators=[Optional()])

    def set_choices(self, weapons: list, targets: list) -> None:
        self.weapon.choices = [("", _l("Any"))] + [(w.code, w.shown_label) for w in weapons]
        self.target.choices = [("", _l("Any"))] + [(t.code, t.shown_label) for t in targets]

    def to_filters(self) -> IncidentFilters:
        """The filters, ignoring any field that did not parse (a bad date filters nothing)."""

        def ok(field):
            return field.data if not field.errors else None

        def tri(value: str | None) -> bool | None:
            return {"yes": True, "no": False}.get(value or "")

        return IncidentFilters(
            q=(ok(self.q) or "")[:200],
            date_from=ok(self.date_from),
            date_to=ok(self.date_to),
            area=(ok(self.area) or "")[:120],
            weapon=ok(self.weapon) or "",
            target=ok(self.target) or "",
            perpetrator=(ok(self.perpetrator) or "")[:200],
            has_video=tri(ok(self.has_video)),
            has_photo=tri(ok(self.has_photo)),
            has_testimony=tri(ok(self.has_testimony)),
        )
