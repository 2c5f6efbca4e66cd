"""Driving the API like a field client: a bearer token on every request, JSON in and out."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskClient

from app.api.tokens.services import create_token
from app.extensions import db

API = "/api/v1"


def issue_token(user: Any, scope: str = "read write", expires_on: date | None = None) -> str:
    """A token made through the real service, committed; returns the secret."""
    issued = create_token(user, f"test token {user.email}", scope, expires_on)
    db.session.commit()
    return issued.secret


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` (or nothing) with each call."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def url(self, path: str) -> str:
        return path if path.startswith(API) else API + path

    def get(self, path: str, **kw):
        return self.client.get(self.url(path), headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw):
        return self.client.post(
            self.url(path), json=json, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def put(self, path: str, json: Any = None, **kw):
        return self.client.put(
            self.url(path), json=json, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw):
        return self.client.delete(
            self.url(path), headers=self.headers(kw.pop("headers", None)), **kw
        )

    def upload(self, path: str, data: Any, filename: str, content_type: str = "text/plain", **kw):
        """A raw-body upload, as POST .../evidence takes it."""
        headers = {"Content-Type": content_type, "X-Filename": filename, **kw.pop("headers", {})}
        return self.client.post(self.url(path), data=data, headers=self.headers(headers), **kw)

    def open(self, path: str, method: str, **kw):
        return self.client.open(
            self.url(path), method=method, headers=self.headers(kw.pop("headers", None)), **kw
        )


def error_of(response) -> dict:
    """The `error` object of a JSON error answer, after checking its stable shape."""
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert set(error) <= {"code", "message", "fields"}, error
    for problems in error.get("fields", {}).values():
        assert problems and all(set(p) == {"code", "message"} for p in problems), problems
    return error


def assert_conforms(value: Any, schema_name: str) -> None:
    """`value` matches components/schemas/<schema_name> of the OpenAPI document."""
    from jsonschema import Draft202012Validator

    from app.api.routes.openapi import openapi_document

    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    Draft202012Validator(schema).validate(value)


def incident_body(**overrides) -> dict:
    body = {
        "time_certainty": "day",
        "start_date": "2016-04-27",
        "place_name": "Al-Quds hospital",
        "admin_area": "Aleppo",
        "latitude": 36.2021,
        "longitude": 37.1343,
        "precision_m": 50,
        "perpetrators": ["Air force"],
        "weapon_code": "guided_bomb",
        "target_codes": ["medical_facility"],
        "killed": 55,
        "injured": 80,
        "casualties_reported_by": "Civil defence",
        "description": "Airstrike on the hospital.",
    }
    body.update(overrides)
    return body


ALL_CONSENT = {
    "interview": True,
    "legal_proceedings": True,
    "un_sharing": True,
    "publication": True,
    "named": True,
    "obtained_on": "2016-05-02",
    "language": "Arabic",
}


def witness_body(**overrides) -> dict:
    body = {
        "risk_level": "high",
        "identity": {"full_name": "Amal Example", "contact": "+90 555 000 0000"},
        "consent": dict(ALL_CONSENT),
    }
    body.update(overrides)
    return body


def interview_body(witness_id: str, **overrides) -> dict:
    body = {
        "witness_id": witness_id,
        "conducted_on": "2016-05-02",
        "mode": "in_person",
        "first_hand": True,
        "place": "Gaziantep",
        "languages": ["ar"],
        "interpreter_present": False,
        "transcript": "I saw the second strike hit the entrance.",
        "notes": "Calm, consistent.",
    }
    body.update(overrides)
    return body
