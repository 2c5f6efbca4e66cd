"""Signing in: passwords, lockout, idle timeout, deactivation, open redirects, rate limits."""

from __future__ import annotations

import time

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.helpers.web import post_form, sign_in


def events(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def test_field_user_signs_in_and_reaches_home(app, make_user, client):
    user = make_user(role="field")
    sign_in(client, user)
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)
    assert len(events("login.success")) == 1


def test_wrong_password_is_refused_with_a_clear_message(make_user, client):
    user = make_user()
    response = post_form(
        client, "/auth/login", {"email": user.email, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert "Email or password is not correct." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message_as_a_wrong_password(make_user, client):
    response = post_form(
        client, "/auth/login", {"email": "nobody@example.org", "password": "whatever123456"}
    )
    assert response.status_code == 401
    assert "Email or password is not correct." in response.get_data(as_text=True)


def test_an_account_waits_after_repeated_failures_and_an_admin_clears_the_wait(
    app, make_user, client
):
    user = make_user()
    app.config["LOGIN_DELAY_BASE_SECONDS"] = 600
    try:
        for _ in range(app.config["LOCKOUT_THRESHOLD"]):
            response = post_form(
                client, "/auth/login", {"email": user.email, "password": "bad-guess-123"}
            )
    finally:
        app.config["LOGIN_DELAY_BASE_SECONDS"] = 1
    assert response.status_code == 401
    # Even the right password is refused while the account waits, with the same answer.
    response = post_form(
        client, "/auth/login", {"email": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 401
    assert "Email or password is not correct." in response.get_data(as_text=True)
    assert events("login.throttled")

    admin = make_user(role="admin")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    unlocked = post_form(admin_client, f"/admin/users/{user.id}/unlock", page="/admin/users")
    assert unlocked.status_code == 302
    sign_in(client, user)
    assert client.get("/").status_code == 200


def test_idle_session_is_signed_out(app, make_user, client):
    user = make_user()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - app.config["IDLE_TIMEOUT_MINUTES"] * 60 - 5
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert events("session.idle_timeout")


def test_active_session_is_not_signed_out(app, make_user, client):
    user = make_user()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - app.config["IDLE_TIMEOUT_MINUTES"] * 60 + 60
    assert client.get("/").status_code == 200


def test_deactivated_user_is_signed_out_at_next_request(app, make_user, client):
    user = make_user()
    sign_in(client, user)
    assert client.get("/").status_code == 200
    admin = make_user(role="admin")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    post_form(admin_client, f"/admin/users/{user.id}/deactivate", page="/admin/users")
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    again = post_form(
        client, "/auth/login", {"email": user.email, "password": "correct horse battery staple"}
    )
    assert again.status_code == 401


def test_login_next_cannot_redirect_off_site(make_user, client):
    user = make_user()
    for target in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]:
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        fresh = client.application.test_client()
        response = post_form(
            fresh,
            "/auth/login",
            {"email": user.email, "password": "correct horse battery staple", "next": target},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_login_next_keeps_a_local_path(make_user, client):
    user = make_user()
    response = post_form(
        client,
        "/auth/login",
        {"email": user.email, "password": "correct horse battery staple", "next": "/auth/settings"},
    )
    assert response.headers["Location"] == "/auth/settings"


def test_logout_requires_post_with_csrf(make_user, client):
    user = make_user()
    sign_in(client, user)
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400  # no token: still signed in
    assert client.get("/").status_code == 200
    assert post_form(client, "/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(make_user, client):
    user = make_user()
    response = sign_in(client, user)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_is_rate_limited(app, make_user, client):
    from app.extensions import limiter

    user = make_user()
    limiter.reset()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [
            post_form(
                client, "/auth/login", {"email": user.email, "password": "x" * 12}
            ).status_code
            for _ in range(4)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
        limiter.reset()
    assert codes[-1] == 429
    assert 429 not in codes[:3]
