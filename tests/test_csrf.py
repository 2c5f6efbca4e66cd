"""CSRF: every route that accepts POST refuses a request without a valid token, changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.api.auth import SIGNED_BODY_ENDPOINTS
from app.audit.models import AuditEvent
from app.extensions import db
from tests.helpers.factories import MembershipFactory, UserFactory
from tests.helpers.web import csrf_token, sign_in
from tests.route_expectations import FIELD_A
from tests.test_route_matrix import URL_RULES, SignedInWorld, World, persona_world


def world_with_admin_signed_in(app) -> SignedInWorld:
    """World, with an administrator who is a member of its investigation signed in."""
    world = World()
    admin = UserFactory(role="admin")
    MembershipFactory(user=admin, investigation=world.investigation)
    client = app.test_client()
    sign_in(client, admin)
    return SignedInWorld.of(app, world, client)


POST_RULES = [(endpoint, rule) for endpoint, rule, methods in URL_RULES if "POST" in methods]


def test_form_routes_are_found(app):
    assert ("auth.login", "/auth/login") in POST_RULES
    assert len(POST_RULES) >= 15


@pytest.mark.parametrize("endpoint,rule", POST_RULES, ids=[r[0] for r in POST_RULES])
@pytest.mark.parametrize("token", [None, "forged-token-value"])
def test_post_without_valid_token_is_refused(app, app_ctx, shared_worlds, endpoint, rule, token):
    signed_in = shared_worlds.get("admin member", lambda: world_with_admin_signed_in(app))
    world, client = signed_in.world, signed_in.client(app)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    data = {"csrf_token": token} if token else {}
    response = client.post(world.fill(rule), data=data)
    if endpoint in SIGNED_BODY_ENDPOINTS:
        # Its signed body is its only credential, and it is off unless configured.
        assert response.status_code == 404
    elif rule.startswith("/api/"):
        # Token-only: the session cookie is no credential there, so CSRF cannot apply (app/api).
        assert response.status_code == 401
    elif rule.startswith("/openrosa/"):
        # Phone credentials only (HTTP Basic): a browser's session cookie is refused there, so
        # there is no ambient credential for CSRF to abuse (app/openrosa/auth.py).
        assert response.status_code == 401
    elif rule.startswith("/drafts"):  # the drafts script's JSON endpoint (app/drafts/routes.py)
        assert response.status_code == 400
        assert response.json["error"]["code"] == "csrf_failed"
    else:
        assert response.status_code == 400
        assert "The form expired or was not sent from this site" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


# Every other state-changing method the URL map accepts (the tus upload's PATCH and DELETE,
# which a signed-in browser sends with the session cookie) needs the token too.
OTHER_WRITE_RULES = [
    (endpoint, rule, method)
    for endpoint, rule, methods in URL_RULES
    for method in ("PUT", "PATCH", "DELETE")
    if method in methods
]


def test_every_state_changing_method_is_covered():
    web = [r for r in OTHER_WRITE_RULES if not r[1].startswith("/api/")]
    assert ("vault.tus_upload", "/uploads/<upload_id>", "PATCH") in web
    assert ("vault.tus_upload", "/uploads/<upload_id>", "DELETE") in web


@pytest.mark.parametrize(
    "endpoint,rule,method", OTHER_WRITE_RULES, ids=[f"{r[0]}-{r[2]}" for r in OTHER_WRITE_RULES]
)
@pytest.mark.parametrize("token", [None, "forged-token-value"])
def test_other_writes_without_valid_token_are_refused(
    app, app_ctx, shared_worlds, endpoint, rule, method, token
):
    # World's subject: the uploader, who may change the upload with a token.
    signed_in = persona_world(app, shared_worlds, FIELD_A)
    world, client = signed_in.world, signed_in.client(app)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0"}
    headers["Content-Type"] = "application/offset+octet-stream"
    if token:
        headers["X-CSRFToken"] = token
    response = client.open(world.fill(rule), method=method, data=b"x" * 10, headers=headers)
    if rule.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 400, response.status_code
        assert "The form expired or was not sent from this site" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    from app.vault.models import UploadSession

    db.session.expire_all()
    upload = db.session.get(UploadSession, world.values["upload_id"])
    assert upload is not None and upload.offset == 0  # neither appended to nor cancelled


def test_api_ignores_a_signed_in_browser_even_with_a_valid_form_token(app, app_ctx):
    """Token-only: the session cookie plus a real CSRF token still authenticates nothing."""
    world = World()
    client = app.test_client()
    sign_in(client, world.subject)
    token = csrf_token(client, "/auth/settings")
    api_writes = [
        (r, m)
        for e, r, ms in URL_RULES
        if r.startswith("/api/") and e not in SIGNED_BODY_ENDPOINTS
        for m in ms
    ]
    codes = {
        (rule, method): client.open(
            world.fill(rule),
            method=method,
            json={},
            headers={"X-CSRFToken": token},
        ).status_code
        for rule, method in api_writes
        if method in ("GET", "POST", "PUT", "PATCH", "DELETE") and "openapi" not in rule
    }
    assert codes and set(codes.values()) == {401}, codes
