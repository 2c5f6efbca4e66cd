"""Every API operation × every persona, with tokens, generated from the app's URL map.

The web's route matrix (tests/test_route_matrix.py) signs in with the session cookie, which
the API refuses; this runs the same answer key, tests/route_expectations.py (written apart
from the views), through tokens, for every persona in and around World's investigation. A new
API route is covered the moment it is registered, and fails until the table says who may
reach it. No token: 401 everywhere; a read-only token on a write: 403 insufficient_scope.
"""

from __future__ import annotations

import pytest

from app.api.auth import SIGNED_BODY_ENDPOINTS
from tests import route_expectations as table
from tests.api.helpers import ApiClient, issue_token
from tests.test_route_matrix import URL_RULES, World, meets, world_and_user

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
API_OPERATIONS = sorted(
    (endpoint, rule, method)
    for endpoint, rule, methods in URL_RULES
    if rule.startswith("/api/")
    for method in METHODS
    if method in methods
)


def call(api: ApiClient, method: str, url: str):
    if method == "GET":
        return api.get(url)
    return api.open(url, method, json={})


def test_api_operations_are_found():
    assert len(API_OPERATIONS) >= 20
    assert ("api.upload_evidence", "/api/v1/investigations/<reference>/evidence", "POST") in (
        API_OPERATIONS
    )


# The cosigning witness's endpoint takes no token: its request is a checkpoint the log's key
# signed, and it is off (404) unless configured (tests/custody/test_cosign_http.py).
TOKEN_OPERATIONS = [op for op in API_OPERATIONS if op[0] not in SIGNED_BODY_ENDPOINTS]


def test_no_token_is_401_everywhere(app, app_ctx):
    world = World()
    anonymous = ApiClient(app.test_client(), None)
    wrong = {
        (endpoint, method): call(anonymous, method, world.fill(rule)).status_code
        for endpoint, rule, method in TOKEN_OPERATIONS
    }
    assert {key: code for key, code in wrong.items() if code != 401} == {}


@pytest.mark.parametrize("persona", table.SIGNED_IN)
def test_each_persona_gets_what_the_table_says(app, app_ctx, persona):
    world, user = world_and_user(persona)
    api = ApiClient(app.test_client(), issue_token(user))
    wrong, closed_gaps = [], []
    for endpoint, rule, method in API_OPERATIONS:
        assert endpoint in table.EXPECTATIONS, f"{endpoint}: add it to tests/route_expectations.py"
        policy = table.EXPECTATIONS[endpoint]
        expected = policy.outcome(persona)
        response = call(api, method, world.fill(rule))
        met = meets(expected, response, method, json_caller=True)
        if persona in policy.gaps:
            if met:  # the known gap is closed: its entry in the table must go
                closed_gaps.append((endpoint, persona))
        elif not met:
            wrong.append((endpoint, method, response.status_code, expected))
    assert wrong == []
    assert closed_gaps == []


def test_read_only_token_cannot_write_anywhere(app, app_ctx):
    world = World()
    api = ApiClient(app.test_client(), issue_token(world.subject, scope="read"))
    codes = {
        (endpoint, method): call(api, method, world.fill(rule)).status_code
        for endpoint, rule, method in TOKEN_OPERATIONS
    }
    writes = {key: code for key, code in codes.items() if key[1] != "GET"}
    assert writes and set(writes.values()) == {403}
    assert all(code < 400 for key, code in codes.items() if key[1] == "GET"), codes
