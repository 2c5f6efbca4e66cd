"""The session cookie's __Host- prefix in production, and client addresses behind a proxy."""

from __future__ import annotations

import pytest

from config import ProductionConfig
from tests.conftest import make_config
from tests.helpers.web import post_form


def test_production_names_the_session_cookie_with_the_host_prefix(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert ProductionConfig().SESSION_COOKIE_NAME == "__Host-custos_session"


def test_a_host_prefixed_cookie_is_sent_secure_host_only_with_path_root(app, client):
    app.config.update(SESSION_COOKIE_NAME="__Host-custos_session", SESSION_COOKIE_SECURE=True)
    try:
        response = client.get("/auth/login", base_url="https://localhost")
    finally:
        app.config.update(SESSION_COOKIE_NAME="custos_session", SESSION_COOKIE_SECURE=False)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-")]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "secure" in attributes and "httponly" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain=") for a in attributes)


def _login_attempts(application, forwarded_for: str, n: int) -> list[int]:
    client = application.test_client()
    headers = {"X-Forwarded-For": forwarded_for}
    return [
        post_form(
            client,
            "/auth/login",
            {"email": "nobody@example.org", "password": "not a real password"},
            headers=headers,
        ).status_code
        for _ in range(n)
    ]


@pytest.mark.parametrize("trusted", [0, 1])
def test_rate_limits_count_forwarded_clients_only_behind_a_trusted_proxy(
    app, database_url, tmp_path, trusted
):
    from app import create_app

    instance = tmp_path / "instance"
    application = create_app(
        make_config(
            database_url,
            instance,
            TRUSTED_PROXIES=trusted,
            LOGIN_RATE_LIMIT="2 per minute",
            BLOB_DIR=app.config["BLOB_DIR"],
        )
    )
    application.test_client_class = type(app.test_client())
    assert _login_attempts(application, "203.0.113.7", 3) == [401, 401, 429]
    other_client = _login_attempts(application, "198.51.100.9", 1)
    # Behind a trusted proxy the second client has its own allowance; without one, the
    # forged header is ignored and every request counts against the same address.
    assert other_client == ([401] if trusted else [429])
