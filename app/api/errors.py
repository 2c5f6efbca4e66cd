"""JSON errors of the API, one stable shape: {"error": {"code", "message", "fields"?}}.

`code` is a short string clients match on; `message` is for a person; `fields` (only on
validation errors) maps each refused input field to a list of {code, message}. Errors the
app raises outside the API's views (404 for an unknown URL, 405, 429, 500) get the same shape
from app/errors.py, which answers JSON for every path under /api/.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from app.extensions import db
from app.intake.errors import FieldError, IntakeValidationError
from app.service_errors import ServiceError


class ApiError(Exception):
    """Raised by API views and parsers; rendered as the JSON error it describes."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[dict[str, str]]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def api_error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[dict[str, str]]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def field_errors(errors: list[FieldError]) -> dict[str, list[dict[str, str]]]:
    fields: dict[str, list[dict[str, str]]] = {}
    for error in errors:
        fields.setdefault(error.field, []).append({"code": error.code, "message": error.message})
    return fields


def validation_failed(fields: dict[str, list[dict[str, str]]]) -> ApiError:
    return ApiError(422, "validation_failed", "Some fields are not valid; see `fields`.", fields)


# Service errors that concern a conflict with stored state rather than the input's form.
CONFLICT_FIELD_CODES = frozenset({"client_id_conflict"})


def install_api_error_handlers(bp: Blueprint) -> None:
    """Map the services' exceptions raised inside API views to statuses and codes."""

    @bp.errorhandler(ApiError)
    def api_error(exc: ApiError):
        db.session.rollback()
        return api_error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @bp.errorhandler(IntakeValidationError)
    def intake_invalid(exc: IntakeValidationError):
        db.session.rollback()
        if exc.codes & CONFLICT_FIELD_CODES:
            return api_error_response(
                409,
                "client_id_conflict",
                "This client_id was already used for another record; send a new one.",
            )
        err = validation_failed(field_errors(exc.errors))
        return api_error_response(err.status, err.code, err.message, err.fields)

    @bp.errorhandler(ServiceError)
    def service_refused(exc: ServiceError):
        # Every service family derives from ServiceError and carries its own status and code.
        db.session.rollback()
        return api_error_response(exc.status, exc.code, exc.message, headers=exc.headers)
