"""CSRF: every route that accepts POST refuses a request without a valid token, changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.web import sign_in
from tests.test_route_matrix import URL_RULES, World

POST_RULES = [(endpoint, rule) for endpoint, rule, methods in URL_RULES if "POST" in methods]


def test_form_routes_are_found(app):
    assert ("auth.login", "/auth/login") in POST_RULES
    assert len(POST_RULES) >= 15


@pytest.mark.parametrize("endpoint,rule", POST_RULES, ids=[r[0] for r in POST_RULES])
@pytest.mark.parametrize("token", [None, "forged-token-value"])
def test_post_without_valid_token_is_refused(app, app_ctx, endpoint, rule, token):
    world = World()
    admin = UserFactory(role="admin")
    MembershipFactory(user=admin, investigation=world.investigation)
    client = app.test_client()
    sign_in(client, admin)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    data = {"csrf_token": token} if token else {}
    response = client.post(world.fill(rule), data=data)
    if rule.startswith("/api/"):
        # Token-only: the session cookie is no credential there, so CSRF cannot apply (app/api).
        assert response.status_code == 401
    else:
        assert response.status_code == 400
        assert "The form expired or was not sent from this site" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
