"""Security headers on every kind of response, including errors and static files."""

from __future__ import annotations

import pytest

from tests.helpers.web import sign_in

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def assert_secure_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize(
    "path,status",
    [
        ("/auth/login", 200),
        ("/", 302),
        ("/no-such-page", 404),
        ("/static/css/custos.css", 200),
        ("/healthz", 200),
        ("/api/v1/nothing", 404),
    ],
)
def test_headers_on_anonymous_responses(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secure_headers(response)


def test_headers_on_signed_in_pages_errors_and_forbidden(make_user, client):
    sign_in(client, make_user(role="field"))
    for path, status in [("/", 200), ("/admin/users", 403), ("/investigations/INV-X-1", 404)]:
        response = client.get(path)
        assert response.status_code == status
        assert_secure_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_csrf_failure_page_has_headers(client):
    response = client.post("/auth/login", data={"email": "a@b.org", "password": "x"})
    assert response.status_code == 400
    assert_secure_headers(response)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_error_gives_a_500_page_without_a_stack_trace(
    app, make_user, client, monkeypatch
):
    def boom():
        raise RuntimeError("W-0042 real name Jane Doe inside an exception")

    sign_in(client, make_user())
    monkeypatch.setitem(app.view_functions, "main.home", boom)
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "Jane Doe" not in body
    assert_secure_headers(response)


def test_hsts_only_in_production(app, client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
