"""The incident-report form: the web's incident form as an XForm, its answers as an IncidentInput.

The questions are the web form's (app/intake/forms/incidents.py), with its choices: how
precisely the time is known, the margin of an approximate time, the weapon and target types
of the taxonomy as the web offers them. The phone asks each time question only when the
chosen certainty needs it (XForms `relevant`), as the web form's script does; the server
then checks the answers with the intake's own rules (`validate_incident`, through
`create_incident`), so a phone can record nothing the web form would refuse. Place, area,
coordinates and alleged perpetrators are sealed by that same service, as on the web.

Where the web form has two number boxes for the coordinates, the phone has a geopoint (its
GPS or a point on its map); the precision is the one typed, or else the accuracy the phone
reports with the point.
"""

from __future__ import annotations

import math

from app.intake.forms.incidents import TIME_CERTAINTY_CHOICES, UNCERTAINTY_CHOICES
from app.intake.models import TimeCertainty
from app.intake.services.incidents import IncidentInput
from app.intake.services.taxonomy import active_targets, active_weapons
from app.intake.target_labels import OTHER_TARGET
from app.openrosa.questions import GeoPoint, Question

INCIDENT_FORM_ID = "custos_incident"
INCIDENT_FORM_TITLE = "Incident report"


def _certainty_is(*certainties: TimeCertainty) -> str:
    return " or ".join(f"/data/time_certainty = '{c.value}'" for c in certainties)


WITH_TIME = _certainty_is(TimeCertainty.EXACT, TimeCertainty.ABOUT, TimeCertainty.RANGE)
INCIDENT_FIELDS = (
    Question("time_certainty", "How precisely is the time known?", "select1", True),
    Question("start_date", "Date (start of the range)", "date", True),
    Question(
        "start_time",
        "Local time",
        "time",
        relevant=WITH_TIME,
        required_when=_certainty_is(TimeCertainty.EXACT, TimeCertainty.ABOUT),
    ),
    Question(
        "uncertainty_minutes",
        "Give or take (for an approximate time)",
        "select1",
        relevant=_certainty_is(TimeCertainty.ABOUT),
        required_when=_certainty_is(TimeCertainty.ABOUT),
    ),
    Question(
        "end_date",
        "End date (for a range)",
        "date",
        relevant=_certainty_is(TimeCertainty.RANGE, TimeCertainty.DAYS),
        required_when=_certainty_is(TimeCertainty.RANGE, TimeCertainty.DAYS),
    ),
    Question(
        "end_time",
        "End time (optional)",
        "time",
        relevant=_certainty_is(TimeCertainty.RANGE),
    ),
    Question("place_name", "Place name", "line", True),
    Question("admin_area", "Administrative area (governorate)", "line"),
    Question("location", "Location (the phone's GPS, or a point on the map)", "geopoint"),
    Question(
        "precision_m",
        "Precision of the coordinates (metres; blank: the phone's accuracy)",
        "int",
        relevant="string-length(/data/location) > 0",
    ),
    Question("perpetrators", "Alleged perpetrator(s), one per line", "text"),
    Question("weapon_code", "Weapon or munition", "select1", True),
    Question("target_codes", "Target or object affected", "select"),
    Question(
        "target_note",
        "If “Other”: what was it?",
        "line",
        relevant=f"selected(/data/target_codes, '{OTHER_TARGET}')",
        required_when=f"selected(/data/target_codes, '{OTHER_TARGET}')",
    ),
    Question("killed", "Civilians killed", "int"),
    Question("injured", "Civilians injured", "int"),
    Question("casualties_reported_by", "Casualty figures reported by", "line"),
    Question("description", "Description", "text"),
)


def incident_choices() -> dict[str, dict[str, str]]:
    """The web form's choices: certainties, margins, and the taxonomy's active terms."""
    return {
        "time_certainty": {value: str(label) for value, label in TIME_CERTAINTY_CHOICES},
        "uncertainty_minutes": {value: str(label) for value, label in UNCERTAINTY_CHOICES if value},
        "weapon_code": {w.code: w.shown_label for w in active_weapons()},
        "target_codes": {t.code: t.shown_label for t in active_targets()},
    }


def incident_input(values: dict[str, str], typed: dict[str, object]) -> IncidentInput:
    """The checked answers as the intake service takes them from the web form."""
    point = typed.get("location")
    precision = typed.get("precision_m")
    if precision is None and isinstance(point, GeoPoint) and point.accuracy:
        precision = math.ceil(point.accuracy)
    margin = values.get("uncertainty_minutes", "")
    return IncidentInput(
        time_certainty=values["time_certainty"],
        start_date=typed.get("start_date"),
        start_time=typed.get("start_time"),
        end_date=typed.get("end_date"),
        end_time=typed.get("end_time"),
        uncertainty_minutes=int(margin) if margin else None,
        place_name=values["place_name"],
        admin_area=values["admin_area"],
        latitude=point.latitude if isinstance(point, GeoPoint) else None,
        longitude=point.longitude if isinstance(point, GeoPoint) else None,
        precision_m=precision,
        perpetrators=values["perpetrators"].splitlines(),
        weapon_code=values["weapon_code"] or None,
        target_codes=list(typed.get("target_codes", [])),
        target_note=values["target_note"],
        killed=typed.get("killed"),
        injured=typed.get("injured"),
        casualties_reported_by=values["casualties_reported_by"],
        description=values["description"],
    )
