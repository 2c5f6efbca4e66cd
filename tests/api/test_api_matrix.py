"""Every API operation × every persona, with tokens, generated from the app's URL map.

The web's route matrix (tests/test_route_matrix.py) signs in with the session cookie, which
the API refuses; this runs the same expectations through tokens. A new API route is covered
the moment it is registered. Expectations:
- no token: 401; a read-only token on a write: 403 insufficient_scope;
- a non-member asking for anything of an investigation: 404;
- a member other than the owner, for the owner's witness or interview: 404 (field staff) or,
  for a reviewer, 403 on what only the author may change (the testimony);
- otherwise it works: GET < 400; a write with an empty body may be refused (400/415/422),
  never as forbidden or missing, never with 5xx.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import ApiClient, issue_token
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.test_route_matrix import URL_RULES, World

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
API_OPERATIONS = sorted(
    (endpoint, rule, method)
    for endpoint, rule, methods in URL_RULES
    if rule.startswith("/api/")
    for method in METHODS
    if method in methods
)
OWNED_BY_SUBJECT = ("<witness_id>", "<interview_id>", "<evidence_id>")
AUTHOR_ONLY = frozenset(
    {
        "api.replace_interview",
        "api.seal_interview",
        "api.link_interview_evidence",
        "api.unlink_interview_evidence",
    }
)
PERSONAS = [("field", True), ("field", False), ("lawyer", True), ("lawyer", False), ("admin", True)]


def call(api: ApiClient, method: str, url: str):
    if method == "GET":
        return api.get(url)
    return api.open(url, method, json={})


def expectation(endpoint: str, rule: str, method: str, role: str, is_member: bool):
    """The status this persona must get, or None for 'works' (see the module docstring)."""
    if "<reference>" in rule and not is_member:
        return 404
    reviewer = role == "lawyer"
    if any(param in rule for param in OWNED_BY_SUBJECT) and not reviewer:
        return 404
    if endpoint in AUTHOR_ONLY and reviewer:
        return 403
    return None


def test_api_operations_are_found():
    assert len(API_OPERATIONS) >= 20
    assert ("api.upload_evidence", "/api/v1/investigations/<reference>/evidence", "POST") in (
        API_OPERATIONS
    )


def test_no_token_is_401_everywhere(app, app_ctx):
    world = World()
    anonymous = ApiClient(app.test_client(), None)
    wrong = {
        (endpoint, method): call(anonymous, method, world.fill(rule)).status_code
        for endpoint, rule, method in API_OPERATIONS
    }
    assert {key: code for key, code in wrong.items() if code != 401} == {}


@pytest.mark.parametrize(
    "role,is_member", PERSONAS, ids=[f"{r}-{'member' if m else 'outsider'}" for r, m in PERSONAS]
)
def test_membership_and_ownership_decide_access(app, app_ctx, role, is_member):
    world = World()
    user = UserFactory(role=role)
    if is_member:
        MembershipFactory(user=user, investigation=world.investigation)
    api = ApiClient(app.test_client(), issue_token(user))
    wrong = []
    for endpoint, rule, method in API_OPERATIONS:
        status = call(api, method, world.fill(rule)).status_code
        expected = expectation(endpoint, rule, method, role, is_member)
        if expected is not None:
            ok = status == expected
        elif method == "GET":
            ok = status < 400
        else:
            ok = status not in (401, 403, 404) and status < 500
        if not ok:
            wrong.append((endpoint, method, status, expected))
    assert wrong == []


def test_read_only_token_cannot_write_anywhere(app, app_ctx):
    world = World()
    api = ApiClient(app.test_client(), issue_token(world.subject, scope="read"))
    codes = {
        (endpoint, method): call(api, method, world.fill(rule)).status_code
        for endpoint, rule, method in API_OPERATIONS
    }
    writes = {key: code for key, code in codes.items() if key[1] != "GET"}
    assert writes and set(writes.values()) == {403}
    assert all(code < 400 for key, code in codes.items() if key[1] == "GET"), codes
