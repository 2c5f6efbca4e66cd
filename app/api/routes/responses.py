"""JSON success responses of the API views (errors are app/api/errors.py's)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from app.api.schemas.output import to_json


def ok(view: Any) -> Response:
    return jsonify(to_json(view))


def created(view: Any, location: str) -> Response:
    """201 with the new resource and where it lives."""
    response = jsonify(to_json(view))
    response.status_code = 201
    response.headers["Location"] = location
    return response
