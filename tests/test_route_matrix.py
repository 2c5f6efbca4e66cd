"""Every route × every role × member/non-member, generated from the app's URL map.

A new route is covered the moment it is registered: if it takes a URL parameter this file does
not know how to fill, the test fails and asks for one. Expectations:
- anonymous: redirected to sign in (401 JSON under /api/), unless the endpoint is public;
- a role the view does not allow (its @role_required): 403;
- a signed-in non-member asking for investigation content: 404;
- otherwise the page works (< 400; an empty POST may be refused as invalid with 400).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from app.auth.gate import PUBLIC_ENDPOINTS
from tests.conftest import make_config
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token, sign_in

PERSONAS = [
    ("field", True),
    ("field", False),
    ("lawyer", True),
    ("lawyer", False),
    ("admin", True),
    ("admin", False),
]


def collect_url_rules() -> list[tuple[str, str, frozenset[str]]]:
    """(endpoint, rule, methods) of every route of a freshly built app, static files aside."""
    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="custos-rules-"))
    app = create_app(make_config("sqlite://", instance))
    return sorted(
        (rule.endpoint, rule.rule, frozenset(rule.methods))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    )


URL_RULES = collect_url_rules()
RULES = [(e, r, "GET" if "GET" in m else "POST") for e, r, m in URL_RULES]
PRIVATE_RULES = [r for r in RULES if r[0] not in PUBLIC_ENDPOINTS]


class World:
    """One investigation, a member of it, and an account to act on."""

    def __init__(self):
        self.investigation = InvestigationFactory()
        self.subject = UserFactory(role="field")
        self.membership = MembershipFactory(user=self.subject, investigation=self.investigation)

    def fill(self, rule: str) -> str:
        values = {
            "reference": self.investigation.reference,
            "user_id": self.subject.id,
            "membership_id": self.membership.id,
        }
        url = rule
        for name, value in values.items():
            url = url.replace(f"<{name}>", str(value))
        assert "<" not in url, f"add a value for the parameters of {rule} in World.fill"
        return url


def request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/auth/login")
    return client.post(url, data={"csrf_token": token})


def takes_investigation_content(rule: str, roles: frozenset[str] | None) -> bool:
    return "<" in rule and not (roles and roles <= {"admin"})


@pytest.mark.parametrize("endpoint,rule,method", RULES, ids=[r[0] for r in RULES])
def test_anonymous_is_sent_to_sign_in(app, app_ctx, endpoint, rule, method):
    world = World()
    client = app.test_client()
    response = request(client, method, world.fill(rule))
    if endpoint in PUBLIC_ENDPOINTS:
        assert response.status_code < 500
        assert "/auth/login?" not in response.headers.get("Location", "")
    elif rule.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "role,is_member", PERSONAS, ids=[f"{r}-{'member' if m else 'outsider'}" for r, m in PERSONAS]
)
@pytest.mark.parametrize("endpoint,rule,method", PRIVATE_RULES, ids=[r[0] for r in PRIVATE_RULES])
def test_role_and_membership_decide_access(app, app_ctx, endpoint, rule, method, role, is_member):
    world = World()
    user = UserFactory(role=role)
    if is_member:
        MembershipFactory(user=user, investigation=world.investigation)
    client = app.test_client()
    sign_in(client, user)
    response = request(client, method, world.fill(rule))
    roles = getattr(app.view_functions[endpoint], "custos_roles", None)
    if roles and role not in roles:
        assert response.status_code == 403
    elif takes_investigation_content(rule, roles) and not is_member:
        assert response.status_code == 404
    elif method == "POST":
        # An empty form may be refused as invalid (400), but never as forbidden or missing.
        assert response.status_code not in (401, 403, 404) and response.status_code < 500
    else:
        assert response.status_code < 400, (response.status_code, endpoint)
