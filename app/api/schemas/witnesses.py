"""Witnesses in and out of the API: registration with consent, withdrawal, and the views.

What a witness looks like on the way out is decided by app/intake/views.py (a member without
`may_see_identities` gets a view with no identity in it); the API only makes it JSON.
"""

from __future__ import annotations

from typing import Any

from app.api.schemas.fields import Field, read_fields
from app.intake.services.consent import PURPOSES, ConsentInput
from app.intake.services.witnesses import WitnessInput

IDENTITY_FIELDS = {
    "full_name": Field("text"),
    "date_of_birth": Field("text"),
    "contact": Field("text"),
    "current_location": Field("text"),
}
# Informed consent is explicit: every purpose must be answered, none is assumed.
CONSENT_FIELDS = {
    **{purpose: Field("boolean", required=True) for purpose in PURPOSES},
    "obtained_on": Field("date"),
    "language": Field("text"),
    "obtained_by_id": Field("code"),
}
WITNESS_FIELDS = {
    "client_id": Field("code"),
    "risk_level": Field("code"),
    "identity": Field("object", fields=IDENTITY_FIELDS),
    "consent": Field("object", required=True, fields=CONSENT_FIELDS),
}
WITHDRAWAL_FIELDS = {"language": Field("text"), "obtained_on": Field("date")}


def consent_input(values: dict[str, Any]) -> ConsentInput:
    return ConsentInput(
        **{purpose: values[purpose] for purpose in PURPOSES},
        obtained_on=values.get("obtained_on"),
        language=values.get("language", ""),
        obtained_by_id=values.get("obtained_by_id"),
    )


def witness_input(body: dict[str, Any]) -> tuple[WitnessInput, ConsentInput, str | None]:
    values = read_fields(body, WITNESS_FIELDS)
    witness = WitnessInput(risk_level=values.get("risk_level", ""), **values.get("identity", {}))
    return witness, consent_input(values["consent"]), values.get("client_id")


def withdrawal_input(body: dict[str, Any]) -> tuple[str, Any]:
    values = read_fields(body, WITHDRAWAL_FIELDS)
    return values.get("language", ""), values.get("obtained_on")


def api_field_name(service_field: str) -> str:
    """The JSON path of a field the registration service named (consent_language, ...)."""
    if service_field.startswith("consent_"):
        return "consent." + service_field.removeprefix("consent_")
    if service_field in IDENTITY_FIELDS:
        return "identity." + service_field
    return service_field
