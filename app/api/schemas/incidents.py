"""Incidents in and out of the API: the JSON fields of IncidentInput, and an incident's JSON."""

from __future__ import annotations

from typing import Any

from app.api.schemas.fields import Field, read_fields
from app.api.schemas.output import person
from app.intake.models import Incident
from app.intake.services.incidents import IncidentInput
from app.intake.when import incident_when

INCIDENT_FIELDS = {
    "client_id": Field("code"),
    "time_certainty": Field("code"),
    "start_date": Field("date"),
    "start_time": Field("time"),
    "end_date": Field("date"),
    "end_time": Field("time"),
    "uncertainty_minutes": Field("integer"),
    "place_name": Field("text"),
    "admin_area": Field("text"),
    "latitude": Field("number"),
    "longitude": Field("number"),
    "precision_m": Field("integer"),
    "perpetrators": Field("texts"),
    "weapon_code": Field("code"),
    "target_codes": Field("codes"),
    "target_note": Field("text"),
    "killed": Field("integer"),
    "injured": Field("integer"),
    "casualties_reported_by": Field("text"),
    "description": Field("text"),
}


def incident_input(body: dict[str, Any]) -> tuple[IncidentInput, str | None]:
    """(the service's input, the client's idempotency id) from a JSON body."""
    values = read_fields(body, INCIDENT_FIELDS)
    client_id = values.pop("client_id", None)
    # Missing required values are left for the service to name, with every other problem.
    values.setdefault("time_certainty", "")
    values.setdefault("start_date", None)
    values.setdefault("place_name", "")
    return IncidentInput(**values), client_id


def incident_json(
    incident: Incident,
    testimony_count: int | None = None,
    has_video: bool | None = None,
    has_photo: bool | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": incident.id,
        "time_certainty": incident.time_certainty,
        "occurred_from": incident.occurred_from,
        "occurred_to": incident.occurred_to,
        "uncertainty_minutes": incident.uncertainty_minutes,
        "when": incident_when(incident),
        "place_name": incident.place_name,
        "admin_area": incident.admin_area or "",
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "precision_m": incident.precision_m,
        "perpetrators": list(incident.perpetrators),
        "weapon": {"code": incident.weapon.code, "label": incident.weapon.label}
        if incident.weapon
        else None,
        "targets": [{"code": t.code, "label": t.label} for t in incident.targets],
        "target_note": incident.target_note or "",
        "killed": incident.killed,
        "injured": incident.injured,
        "casualties_reported_by": incident.casualties_reported_by or "",
        "description": incident.description or "",
        "created_by": person(incident.created_by),
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
    }
    if testimony_count is not None:
        view["testimony_count"] = testimony_count
        view["has_video"] = bool(has_video)
        view["has_photo"] = bool(has_photo)
    return view
