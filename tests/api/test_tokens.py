"""Personal API tokens: made on the settings page and shown once, stored hashed, scoped,
expiring, revocable; tied to an active account with its second factor; the session cookie
is never a substitute; wrong tokens are rate-limited."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.api.tokens.models import ApiToken
from app.api.tokens.services import TokenError, create_token
from app.audit.models import AuditEvent
from app.auth.services.accounts import deactivate
from app.auth.services.enrollment import reset_second_factor
from app.extensions import db, limiter
from app.intake.models import Incident
from app.timeutil import utcnow
from tests.api.helpers import ApiClient, error_of, incident_body, issue_token
from tests.helpers.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers.web import page_messages, post_form

SECRET_RE = re.compile(r"custos_[A-Za-z0-9_-]{43}")


def make_token_on_settings_page(client, name="Phone of A", scope="read write", **extra):
    """Made as a field worker (no TOTP), the password typed again as the form asks."""
    return post_form(
        client,
        "/auth/settings/tokens/new",
        {"name": name, "scope": scope, "current": DEFAULT_PASSWORD, **extra},
        page="/auth/settings/tokens/new",
    )


def test_token_is_shown_once_and_works(world, signed_in):
    client = signed_in(world.field_a)
    created = make_token_on_settings_page(client)
    assert created.status_code == 200
    secrets_shown = SECRET_RE.findall(created.get_data(as_text=True))
    assert len(set(secrets_shown)) == 1
    secret = secrets_shown[0]
    settings = client.get("/auth/settings").get_data(as_text=True)
    assert "Phone of A" in settings and secret not in settings
    assert not SECRET_RE.search(settings)
    me = ApiClient(world.app.test_client(), secret).get("/me")
    assert me.status_code == 200
    assert me.get_json()["user"]["id"] == world.field_a.id
    assert me.get_json()["token"]["scope"] == "read write"


def test_token_is_stored_only_as_its_sha256(world, signed_in, app):
    created = make_token_on_settings_page(signed_in(world.field_a))
    secret = SECRET_RE.search(created.get_data(as_text=True)).group(0)
    random_part = secret.removeprefix("custos_")
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_digest == hashlib.sha256(secret.encode()).hexdigest()
    # No column of any table holds the secret or any 16-character piece of it.
    pieces = {random_part[i : i + 16] for i in range(len(random_part) - 15)}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value or "")
                    assert not any(piece in text for piece in pieces), table.name


def test_revoked_token_stops_working_at_once(world, signed_in):
    client = signed_in(world.field_a)
    secret = SECRET_RE.search(make_token_on_settings_page(client).get_data(as_text=True)).group(0)
    api = ApiClient(world.app.test_client(), secret)
    assert api.get("/me").status_code == 200
    token_id = api.get("/me").get_json()["token"]["id"]
    revoked = post_form(
        client, "/auth/settings/tokens/revoke", {"token_id": token_id}, page="/auth/settings"
    )
    assert revoked.status_code == 302
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"
    assert "Bearer" in response.headers["WWW-Authenticate"]
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is not None  # kept as a record
    events = db.session.scalars(
        sa.select(AuditEvent.event).where(AuditEvent.actor_id == world.field_a.id)
    )
    assert {"api_token.created", "api_token.revoked"} <= set(events)


def test_nobody_revokes_another_persons_token(world, signed_in):
    secret = issue_token(world.field_b)
    token_id = ApiClient(world.app.test_client(), secret).get("/me").get_json()["token"]["id"]
    response = post_form(
        signed_in(world.field_a),
        "/auth/settings/tokens/revoke",
        {"token_id": token_id},
        page="/auth/settings",
    )
    assert response.status_code == 404
    assert ApiClient(world.app.test_client(), secret).get("/me").status_code == 200


def test_expired_token_is_refused(world):
    secret = issue_token(world.field_a, expires_on=utcnow().date())
    api = ApiClient(world.app.test_client(), secret)
    assert api.get("/me").status_code == 200  # valid until the end of the day
    token = db.session.scalar(sa.select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


def test_read_scope_token_cannot_write(world):
    api = world.api(world.field_a, scope="read")
    assert api.get(world.path("/incidents")).status_code == 200
    response = api.post(world.path("/incidents"), json=incident_body())
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_deactivated_owner_token_stops_working(world):
    api = world.api(world.field_a)
    assert api.get("/me").status_code == 200
    admin = UserFactory(role="admin")
    deactivate(world.field_a, actor=admin)
    db.session.commit()
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_lawyer_needs_a_second_factor_for_tokens(world):
    lawyer = UserFactory(role="lawyer", with_2fa=False)
    with pytest.raises(TokenError) as refused:
        create_token(lawyer, "laptop", "read", None)
    assert refused.value.code == "2fa_required"
    # A token made with 2FA is revoked when an admin resets the second factor.
    api = world.api(world.lawyer)
    assert api.get("/me").status_code == 200
    reset_second_factor(world.lawyer, actor=UserFactory(role="admin"))
    db.session.commit()
    response = api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_a_field_worker_made_lawyer_needs_a_second_factor_before_the_token_works(world):
    api = world.api(world.field_a)
    assert api.get("/me").status_code == 200
    world.field_a.role = "lawyer"  # tokens stay, but a lawyer reaches nothing without 2FA
    db.session.commit()
    response = api.get("/me")
    assert response.status_code == 403
    assert error_of(response)["code"] == "2fa_required"


def test_session_cookie_does_not_authenticate_the_api(world, signed_in):
    client = signed_in(world.field_a)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_missing"
    # With a token, the token decides who is asking, whatever the cookie says.
    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {issue_token(world.field_b)}"}
    )
    assert response.get_json()["user"]["id"] == world.field_b.id
    assert "Set-Cookie" not in response.headers


def test_api_writes_need_no_csrf_token(world):
    response = world.api(world.field_a).post(world.path("/incidents"), json=incident_body())
    assert response.status_code == 201


def test_a_token_does_not_open_the_website(world):
    response = world.api(world.field_a).client.get(
        "/investigations/", headers={"Authorization": f"Bearer {issue_token(world.field_a)}"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_use_is_recorded_without_writing_on_every_request(world):
    api = world.api(world.field_a)
    api.get("/me")
    db.session.expire_all()
    first = db.session.scalar(sa.select(ApiToken)).last_used_at
    assert first is not None
    api.get("/me")
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken)).last_used_at == first


def test_wrong_tokens_are_rate_limited(world, app):
    limiter.reset()
    app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = "3 per minute"
    try:
        wrong = ApiClient(app.test_client(), "custos_" + "x" * 43)
        codes = [wrong.get("/me").status_code for _ in range(4)]
        last = wrong.get("/me")
    finally:
        app.config["CUSTOS_API_AUTH_FAILURE_LIMIT"] = "10 per minute"
        limiter.reset()
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    assert error_of(last)["code"] == "rate_limited"
    assert last.headers["Retry-After"]


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"name": ""}, "This field is required."),
        ({"expires_on": "2000-01-01"}, "The expiry date must be today or later."),
        ({"scope": "admin"}, "Not a valid choice."),
    ],
)
def test_token_form_refuses_bad_values_and_stores_nothing(world, signed_in, fields, message):
    response = make_token_on_settings_page(signed_in(world.field_a), **fields)
    assert response.status_code == 400
    assert any(message in m for m in page_messages(response)), page_messages(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
