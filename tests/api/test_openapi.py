"""The OpenAPI 3.1 document matches the implementation.

- it is a valid OpenAPI 3.1 document (openapi-spec-validator);
- every route under /api/v1 is documented, and every documented operation exists;
- schemathesis sends generated requests for every operation, in-process, with a real token
  against a real investigation, and finds no 5xx, no status the document does not list for
  the operation, and no answer whose body or content type disagrees with the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.routes.openapi import openapi_document
from app.extensions import db
from tests.api.helpers import incident_body, interview_body, witness_body
from tests.test_route_matrix import URL_RULES

PREFIX = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
EXAMPLES_PER_OPERATION = 25


def implemented_operations() -> set[tuple[str, str]]:
    operations = set()
    for _, rule, methods in URL_RULES:
        if rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule[len(PREFIX) :])
            operations |= {(path, method) for method in methods & METHODS}
    return operations


def documented_operations() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method.upper() in METHODS
    }


@pytest.mark.nodb
def test_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"].startswith("3.1.")
    validate(document)


@pytest.mark.nodb
def test_every_route_is_documented_and_every_documented_route_exists():
    implemented, documented = implemented_operations(), documented_operations()
    assert len(implemented) >= 20
    assert implemented - documented == set(), "routes missing from app/api/openapi.yaml"
    assert documented - implemented == set(), "documented operations with no route"


def test_the_served_document_is_the_file(world):
    served = world.api(world.field_a).get("/openapi.json")
    assert served.status_code == 200
    assert served.get_json() == openapi_document()


# --- schemathesis ------------------------------------------------------------------------------


@dataclass
class FuzzTarget:
    """A field worker's token and real records of theirs for the path parameters."""

    token: str
    path_values: dict[str, str]


@pytest.fixture
def fuzz_target(world) -> FuzzTarget:
    for membership in world.investigation.memberships:
        membership.may_see_identities = membership.user_id == world.field_a.id
    db.session.commit()
    api = world.api(world.field_a)
    incident = api.post(world.path("/incidents"), json=incident_body()).get_json()
    witness = api.post(world.path("/witnesses"), json=witness_body()).get_json()
    interview = api.post(
        world.path("/interviews"),
        json=interview_body(witness["id"], incident_ids=[incident["id"]]),
    ).get_json()
    evidence = api.upload(world.path("/evidence"), b"notes of the interview\n", "notes.txt")
    evidence_id = evidence.get_json()["id"]
    api.post(
        world.path(f"/interviews/{interview['id']}/evidence"),
        json={"evidence_id": evidence_id, "role": "attachment"},
    )
    return FuzzTarget(
        token=api.token,
        path_values={
            "reference": world.ref,
            "incident_id": incident["id"],
            "witness_id": witness["id"],
            "interview_id": interview["id"],
            "evidence_id": evidence_id,
        },
    )


# Loaded from the same file the app serves (test_the_served_document_is_the_file).
schema = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_api_conforms_to_its_document(app, fuzz_target):
    """Every operation, EXAMPLES_PER_OPERATION generated requests each, one shared setup."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            # Real ids of the token owner's records: generated ones would only ever meet 404
            # (other tests cover it), never the answers whose shape is worth checking.
            for name in case.path_parameters or {}:
                case.path_parameters[name] = fuzz_target.path_values[name]
            case.call_and_validate(
                app=app, headers={"Authorization": f"Bearer {fuzz_target.token}"}, checks=CHECKS
            )

        try:
            conforms()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (reported below)
            failures.append(f"{operation.method.upper()} {operation.path}:\n{describe(exc)}")
    assert not failures, "\n\n".join(failures)


def describe(exc: BaseException) -> str:
    """A failure and, for schemathesis' groups, each failure in it (their messages say why)."""
    return "\n".join([str(exc), *(describe(sub) for sub in getattr(exc, "exceptions", ()))])
