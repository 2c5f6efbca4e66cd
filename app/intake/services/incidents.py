"""Recording and correcting incidents, with the validation rules of issue 5, item 1."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.intake.errors import FieldError, IntakePermissionError, IntakeValidationError
from app.intake.models import Incident, TargetType, TimeCertainty, WeaponType
from app.intake.particulars import Particulars
from app.intake.services.replay import replayed
from app.intake.target_labels import OTHER_TARGET
from app.intake.textinput import (
    check_length,
    check_required,
    clean_line,
    clean_text,
    looks_like_term_code,
    normalise_client_id,
)
from app.intake.visibility import may_edit_incident
from app.investigations.models import Investigation
from app.investigations.viewer import viewer_of
from app.timeutil import utcnow

# Times are local to the place. The furthest-ahead time zone is UTC+14, so nothing that
# happened can be later than UTC now + 14 h; anything beyond is a typing mistake.
FUTURE_SLACK = timedelta(hours=14)
MAX_PERPETRATORS = 20
MAX_UNCERTAINTY_MINUTES = 24 * 60  # "about 09:30 give or take a day" is a day, not a time
MAX_COUNT = 10_000_000  # casualties; far beyond any incident, well inside a 32-bit column
MAX_PRECISION_M = 20_000_000  # half the Earth's circumference
TARGET_NOTE_MAX = 200


@dataclass
class IncidentInput:
    """What a person or client says about an incident, as plain values."""

    time_certainty: str
    start_date: date | None
    place_name: str
    start_time: time | None = None
    end_date: date | None = None
    end_time: time | None = None
    uncertainty_minutes: int | None = None  # for an approximate time: give or take
    admin_area: str = ""
    latitude: float | None = None
    longitude: float | None = None
    precision_m: int | None = None
    perpetrators: list[str] = field(default_factory=list)
    weapon_code: str | None = None
    target_codes: list[str] = field(default_factory=list)
    target_note: str = ""  # what "other" was
    killed: int | None = None
    injured: int | None = None
    casualties_reported_by: str = ""
    description: str = ""


@dataclass
class _CleanIncident:
    time_certainty: str
    occurred_from: datetime
    occurred_to: datetime | None
    uncertainty_minutes: int | None
    place_name: str
    admin_area: str
    latitude: float | None
    longitude: float | None
    precision_m: int | None
    perpetrators: list[str]
    weapon_code: str
    target_codes: list[str]
    target_note: str | None
    killed: int | None
    injured: int | None
    casualties_reported_by: str | None
    description: str | None


def validate_incident(
    data: IncidentInput, now: datetime | None = None, allowed_retired: tuple = ((), ())
) -> _CleanIncident:
    """Check every rule at once; raise IntakeValidationError naming all that failed."""
    errors: list[FieldError] = []
    latest = (now or utcnow()) + FUTURE_SLACK
    occurred_from, occurred_to = _when(data, latest, errors)
    uncertainty = _uncertainty(data, errors)

    place_name = clean_line(data.place_name)
    if check_required(errors, "place_name", place_name):
        check_length(errors, "place_name", place_name, 200)
    admin_area = clean_line(data.admin_area)
    check_length(errors, "admin_area", admin_area, 120)

    latitude, longitude = data.latitude, data.longitude
    if (latitude is None) != (longitude is None):
        errors.append(
            FieldError("latitude" if latitude is None else "longitude", "coordinates_incomplete")
        )
    if latitude is not None and not (math.isfinite(latitude) and -90 <= latitude <= 90):
        errors.append(FieldError("latitude", "latitude_out_of_range"))
    if longitude is not None and not (math.isfinite(longitude) and -180 <= longitude <= 180):
        errors.append(FieldError("longitude", "longitude_out_of_range"))
    if data.precision_m is not None:
        if data.precision_m < 0:
            errors.append(FieldError("precision_m", "precision_negative"))
        elif data.precision_m > MAX_PRECISION_M:
            errors.append(FieldError("precision_m", "number_too_large"))

    perpetrators = _perpetrators(data.perpetrators, errors)
    weapon_code = _weapon(data.weapon_code, allowed_retired[0], errors)
    target_codes = _targets(data.target_codes, allowed_retired[1], errors)
    target_note = _target_note(data.target_note, target_codes, errors)

    for name in ("killed", "injured"):
        count = getattr(data, name)
        if count is not None and count < 0:
            errors.append(FieldError(name, "negative_casualties"))
        elif count is not None and count > MAX_COUNT:
            errors.append(FieldError(name, "number_too_large"))
    reported_by = clean_line(data.casualties_reported_by)
    check_length(errors, "casualties_reported_by", reported_by, 500)
    description = clean_text(data.description)
    check_length(errors, "description", description, 20_000)

    if errors:
        raise IntakeValidationError(errors)
    return _CleanIncident(
        time_certainty=_certainty_as_entered(data),
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        uncertainty_minutes=uncertainty,
        place_name=place_name,
        admin_area=admin_area,
        latitude=latitude,
        longitude=longitude,
        precision_m=data.precision_m,
        perpetrators=perpetrators,
        weapon_code=weapon_code,
        target_codes=target_codes,
        target_note=target_note,
        killed=data.killed,
        injured=data.injured,
        casualties_reported_by=reported_by or None,
        description=description or None,
    )


def _when(
    data: IncidentInput, latest: datetime, errors: list[FieldError]
) -> tuple[datetime | None, datetime | None]:
    """(occurred_from, occurred_to) from the date/time fields and the stated uncertainty."""
    if data.time_certainty not in tuple(TimeCertainty):
        errors.append(FieldError("time_certainty", "invalid_choice"))
        return None, None
    if data.start_date is None:
        errors.append(FieldError("start_date", "required"))
        return None, None
    certainty = TimeCertainty(data.time_certainty)
    if certainty in (TimeCertainty.EXACT, TimeCertainty.ABOUT) and data.start_time is None:
        errors.append(FieldError("start_time", "time_required"))
    with_time = certainty not in (TimeCertainty.DAY, TimeCertainty.DAYS)
    start_time = data.start_time if with_time else None
    occurred_from = datetime.combine(data.start_date, start_time or time(0, 0))
    if _in_future(data.start_date, start_time, latest):
        errors.append(FieldError("start_date", "date_in_future"))
    if certainty not in (TimeCertainty.RANGE, TimeCertainty.DAYS):
        return occurred_from, None
    if data.end_date is None:
        errors.append(FieldError("end_date", "range_end_required"))
        return occurred_from, None
    # Without a time, a range ends at the end of its last day.
    end_time = data.end_time if with_time else None
    occurred_to = datetime.combine(data.end_date, end_time or time(23, 59, 59))
    if _in_future(data.end_date, end_time, latest):
        errors.append(FieldError("end_date", "date_in_future"))
    if occurred_to < occurred_from:
        errors.append(FieldError("end_date", "range_end_before_start"))
    return occurred_from, occurred_to


def _certainty_as_entered(data: IncidentInput) -> str:
    """A range given without any time is a range of days: no time is invented for it."""
    if data.time_certainty == TimeCertainty.RANGE and data.start_time is data.end_time is None:
        return TimeCertainty.DAYS.value
    return data.time_certainty


def _uncertainty(data: IncidentInput, errors: list[FieldError]) -> int | None:
    """Give or take how many minutes: needed for an approximate time, ignored otherwise."""
    if data.time_certainty != TimeCertainty.ABOUT.value:
        return None
    minutes = data.uncertainty_minutes
    if minutes is None:
        errors.append(FieldError("uncertainty_minutes", "uncertainty_required"))
    elif not 1 <= minutes <= MAX_UNCERTAINTY_MINUTES:
        errors.append(FieldError("uncertainty_minutes", "uncertainty_out_of_range"))
    return minutes


def _in_future(day: date, at: time | None, latest: datetime) -> bool:
    if at is None:
        return day > latest.date()
    return datetime.combine(day, at) > latest


def _perpetrators(names: list[str], errors: list[FieldError]) -> list[str]:
    cleaned: list[str] = []
    seen: set[str] = set()
    for raw in names or []:
        name = clean_line(raw)
        if not name or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        cleaned.append(name)
    if len(cleaned) > MAX_PERPETRATORS:
        errors.append(FieldError("perpetrators", "too_many_perpetrators"))
    if any(len(name) > 200 for name in cleaned):
        errors.append(FieldError("perpetrators", "too_long"))
    return cleaned


def _weapon(code: str | None, retired_ok: tuple, errors: list[FieldError]) -> str:
    code = (code or "").strip()
    if not code:
        errors.append(FieldError("weapon_code", "required"))
        return ""
    weapon = db.session.get(WeaponType, code) if looks_like_term_code(code) else None
    # A retired type stays valid on an incident that already has it, and only there.
    if weapon is None or not (weapon.active or code in retired_ok):
        errors.append(FieldError("weapon_code", "unknown_weapon"))
    return code


def _targets(codes: list[str], retired_ok: tuple, errors: list[FieldError]) -> list[str]:
    wanted = list(dict.fromkeys(code.strip() for code in codes or [] if code and code.strip()))
    if not wanted:
        return []
    if not all(looks_like_term_code(code) for code in wanted):
        errors.append(FieldError("target_codes", "unknown_target"))
        return []
    known = {
        target.code: target
        for target in db.session.scalars(select(TargetType).where(TargetType.code.in_(wanted)))
    }
    for code in wanted:
        target = known.get(code)
        if target is None or not (target.active or code in retired_ok):
            errors.append(FieldError("target_codes", "unknown_target"))
            break
    return wanted


def _target_note(note: str, target_codes: list[str], errors: list[FieldError]) -> str | None:
    """The note saying what an "other" target was: needed with "other", refused without it."""
    note = clean_line(note)
    if OTHER_TARGET in target_codes:
        if check_required(errors, "target_note", note):
            check_length(errors, "target_note", note, TARGET_NOTE_MAX)
        return note or None
    if note:
        errors.append(FieldError("target_note", "target_note_without_other"))
    return None


def _apply(incident: Incident, clean: _CleanIncident) -> None:
    for name in (
        "time_certainty",
        "occurred_from",
        "occurred_to",
        "uncertainty_minutes",
        "weapon_code",
        "killed",
        "injured",
        "casualties_reported_by",
        "description",
        "target_note",
    ):
        setattr(incident, name, getattr(clean, name))
    incident.set_particulars(
        Particulars(
            place_name=clean.place_name,
            admin_area=clean.admin_area,
            latitude=clean.latitude,
            longitude=clean.longitude,
            precision_m=clean.precision_m,
            perpetrators=tuple(clean.perpetrators),
        )
    )
    incident.targets = list(
        db.session.scalars(select(TargetType).where(TargetType.code.in_(clean.target_codes)))
    )


def create_incident(
    investigation: Investigation, user: Any, data: IncidentInput, *, client_id: str | None = None
) -> Incident:
    """Record a new incident in an investigation the user is a member of (any member may)."""
    viewer = viewer_of(investigation, user)
    existing = replayed(Incident, client_id, investigation.id, user)
    if existing is not None:
        return existing
    clean = validate_incident(data)
    incident = Incident(
        investigation_id=investigation.id, created_by_id=viewer.user.id, updated_at=utcnow()
    )
    if client_id:
        incident.id = normalise_client_id(client_id)
    _apply(incident, clean)
    db.session.add(incident)
    db.session.flush()
    return incident


def update_incident(incident: Incident, user: Any, data: IncidentInput) -> Incident:
    """Correct an incident: its author, or a reviewer (lawyer/lead) of the investigation."""
    investigation = db.session.get(Investigation, incident.investigation_id)
    viewer = viewer_of(investigation, user)
    if not may_edit_incident(viewer, incident):
        raise IntakePermissionError("only the incident's author or a reviewer may change it")
    retired_ok = (
        (incident.weapon_code,) if incident.weapon_code else (),
        tuple(target.code for target in incident.targets),
    )
    clean = validate_incident(data, allowed_retired=retired_ok)
    _apply(incident, clean)
    incident.updated_at = utcnow()
    db.session.flush()
    return incident
