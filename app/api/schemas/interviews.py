"""Interviews in the API: the JSON fields of a draft, evidence links and addenda."""

from __future__ import annotations

from typing import Any

from app.api.schemas.fields import Field, read_fields
from app.intake.services.interviews import InterviewInput

DRAFT_FIELDS = {
    "witness_id": Field("code"),
    "conducted_on": Field("date"),
    "mode": Field("code"),
    "first_hand": Field("boolean", required=True),
    "interviewer_id": Field("code"),
    "place": Field("text"),
    "languages": Field("codes"),
    "interpreter_present": Field("boolean"),
    "interpreter_user_id": Field("code"),
    "interpreter_code": Field("text"),
    "interpreter": Field("text"),
    "interpreted_from": Field("code"),
    "interpreted_to": Field("code"),
    "read_back": Field("boolean"),
    "read_back_language": Field("code"),
    "incident_ids": Field("codes"),
    "transcript": Field("text"),
    "notes": Field("text"),
}
NEW_DRAFT_FIELDS = {"client_id": Field("code"), **DRAFT_FIELDS}
LINK_FIELDS = {"evidence_id": Field("code", required=True), "role": Field("code", required=True)}
ADDENDUM_FIELDS = {"text": Field("text", required=True)}


def interview_input(body: dict[str, Any], new: bool) -> tuple[InterviewInput, str | None]:
    """(the service's input, the client's idempotency id); a whole draft, as PUT replaces it."""
    values = read_fields(body, NEW_DRAFT_FIELDS if new else DRAFT_FIELDS)
    client_id = values.pop("client_id", None)
    values.setdefault("witness_id", "")
    values.setdefault("conducted_on", None)
    values.setdefault("mode", "")
    return InterviewInput(**values), client_id


def link_input(body: dict[str, Any]) -> tuple[str, str]:
    values = read_fields(body, LINK_FIELDS)
    return values["evidence_id"], values["role"]


def addendum_text(body: dict[str, Any]) -> str:
    return read_fields(body, ADDENDUM_FIELDS)["text"]
